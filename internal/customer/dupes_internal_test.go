package customer

import "testing"

func TestNameDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"王芳", "王芳", true}, {"王芳", "王方", true}, {"王芳", "王芳芳", true}, {"欧阳娜娜", "欧阳娜", true},
		{"王芳", "李芳华", false}, {"张三", "三张", false}, {"王", "李", true}, {"abc", "abd", true}, {"abc", "xyz", false},
	} {
		if got := within1(tc.a, tc.b); got != tc.want {
			t.Errorf("within1(%q, %q) = %v", tc.a, tc.b, got)
		}
		if got := editDistance([]rune(tc.a), []rune(tc.b), 1) <= 1; got != tc.want {
			t.Errorf("editDistance(%q, %q) ≤ 1 = %v", tc.a, tc.b, got)
		}
	}
}

func TestNormalise(t *testing.T) {
	for in, want := range map[string]string{"王 芳": "王芳", "ＷＡＮＧ·Fang": "wangfang", "王芳": "王芳", " 李雷\t": "李雷"} {
		if got := normName(in); got != want {
			t.Errorf("normName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := normRegion("浙江省"); got != "浙江" {
		t.Errorf("normRegion: %q", got)
	}
	if got := normAddress("浙江省杭州市西湖区文三路 100 号", "浙江", "杭州"); got != "西湖区文三路100号" {
		t.Errorf("normAddress: %q", got)
	}
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"西湖区文三路100号", "西湖区文三路100号", true},
		{"朝阳区建国路88号soho现代城a座", "朝阳区建国路88号soho现代城a座1201", true}, // prefix
		{"西湖区文三路100号3单元", "西湖区文三路101号3单元", true},               // one edit
		{"西湖区文三路100号", "上城区解放路1号", false},
		{"1号", "1号楼", false}, // too short to say
	} {
		if got := similarAddress(tc.a, tc.b, runeSig(tc.a), runeSig(tc.b)); got != tc.want {
			t.Errorf("similarAddress(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}
