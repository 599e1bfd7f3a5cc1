package seal

import (
	"strings"
	"testing"
)

func testKeys(t testing.TB, s string) *Keys {
	t.Helper()
	k, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

const keyA = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

func TestSealOpen(t *testing.T) {
	k := testKeys(t, keyA)
	for _, v := range []string{"13812345678", "wang@example.com", "王芳 <fang@例子.中国>", "138****5678", strings.Repeat("x", 5000)} {
		s := k.Seal("phone", v)
		if !IsSealed(s) || strings.Contains(s, v) {
			t.Fatalf("Seal(%q) = %q: not sealed", v, s)
		}
		if s2 := k.Seal("phone", v); s2 == s {
			t.Fatalf("Seal(%q) twice gave the same text: the nonce is not random", v)
		}
		got, err := k.Open("phone", s)
		if err != nil || got != v {
			t.Fatalf("Open(Seal(%q)) = %q, %v", v, got, err)
		}
		// Another field's value does not open as this one.
		if _, err := k.Open("email", s); err == nil {
			t.Fatalf("a sealed phone opened as an e-mail")
		}
	}
	if k.Seal("phone", "") != "" {
		t.Fatal("the empty string must stay empty")
	}
	if v, err := k.Open("phone", ""); v != "" || err != nil {
		t.Fatalf("Open(\"\") = %q, %v", v, err)
	}
}

func TestOpenRefuses(t *testing.T) {
	k := testKeys(t, keyA)
	other := testKeys(t, strings.Repeat("ab", 32))
	s := k.Seal("email", "fang@example.com")
	if _, err := other.Open("email", s); err == nil {
		t.Fatal("a value opened with another key")
	}
	if _, err := k.Open("email", "fang@example.com"); err == nil {
		t.Fatal("plain text was accepted as sealed")
	}
	// Every byte flipped, the value is refused: GCM authenticates it.
	for i := len(SealedPrefix); i < len(s); i++ {
		b := []byte(s)
		b[i] ^= 1
		if v, err := k.Open("email", string(b)); err == nil && v == "fang@example.com" {
			continue // a flip in base64 padding bits may decode alike
		} else if err == nil {
			t.Fatalf("byte %d flipped opened to %q", i, v)
		}
	}
	if _, err := k.Open("email", s[:len(s)-4]); err == nil {
		t.Fatal("a cut value opened")
	}
}

func TestHash(t *testing.T) {
	k := testKeys(t, keyA)
	h := k.Hash(1, "phone", "13812345678")
	if h != k.Hash(1, "phone", "13812345678") {
		t.Fatal("the hash is not stable")
	}
	for _, other := range []string{
		k.Hash(2, "phone", "13812345678"),                                     // another shop
		k.Hash(1, "email", "13812345678"),                                     // another kind
		k.Hash(1, "phone", "13812345679"),                                     // another value
		testKeys(t, strings.Repeat("cd", 32)).Hash(1, "phone", "13812345678"), // another key
	} {
		if other == h {
			t.Fatalf("hash %q repeats where the input differs", h)
		}
	}
	if !strings.HasPrefix(h, HashPrefix) || strings.Contains(h, "1381234") {
		t.Fatalf("hash %q", h)
	}
	if k.Hash(1, "phone", "") != "" {
		t.Fatal("the empty string must hash to itself")
	}
}

func TestParse(t *testing.T) {
	want := testKeys(t, keyA).Fingerprint()
	for _, s := range []string{
		keyA, strings.ToUpper(keyA), "  " + keyA + "\n",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
	} {
		k, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		if k.Fingerprint() != want {
			t.Fatalf("Parse(%q) gave another key", s)
		}
	}
	for _, s := range []string{"", "short", keyA[:62], keyA + "00"} {
		if _, err := Parse(s); err == nil {
			t.Fatalf("Parse(%q) accepted", s)
		}
	}
	if a, b := Generate(), Generate(); a == b || len(a) != 64 {
		t.Fatalf("Generate: %q %q", a, b)
	}
}

// The cost per field, which an import of a million customers pays twice
// (seal the phone and e-mail) and a large campaign audience once (open).
func BenchmarkSeal(b *testing.B) {
	k := testKeys(b, keyA)
	for b.Loop() {
		k.Seal("phone", "13812345678")
	}
}

func BenchmarkOpen(b *testing.B) {
	k := testKeys(b, keyA)
	s := k.Seal("phone", "13812345678")
	for b.Loop() {
		if _, err := k.Open("phone", s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHash(b *testing.B) {
	k := testKeys(b, keyA)
	for b.Loop() {
		k.Hash(1, "phone", "13812345678")
	}
}
