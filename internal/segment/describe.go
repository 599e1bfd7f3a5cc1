package segment

import "slices"

// FieldInfo describes a field a rule may name, for an editor that offers
// the right ops and value inputs: Kind is one of text, int, float, money,
// bool, consent, time, tag, bought.
type FieldInfo struct {
	Name string   `json:"name"`
	Kind string   `json:"kind"`
	Ops  []string `json:"ops"`
}

var kindNames = map[kind]string{kText: "text", kInt: "int", kFloat: "float", kMoney: "money", kBool: "bool",
	kConsent: "consent", kTime: "time", kTag: "tag", kBought: "bought"}

// Describe returns every field a rule may name with its kind and ops,
// sorted by name.
func Describe() []FieldInfo {
	out := make([]FieldInfo, 0, len(fields))
	for _, name := range Fields() {
		def := fields[name]
		out = append(out, FieldInfo{Name: name, Kind: kindNames[def.kind], Ops: slices.Clone(ops[def.kind])})
	}
	return out
}
