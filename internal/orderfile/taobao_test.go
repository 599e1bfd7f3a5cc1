package orderfile

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func at(y int, m time.Month, d, h, min, s int) time.Time {
	return time.Date(y, m, d, h, min, s, 0, cst)
}

func TestTaobaoUTF8(t *testing.T) {
	path := filepath.Join("testdata", "taobao_utf8.csv")
	shop := map[string]string{"店铺Id": "12345", "店铺名称": "关系小店"}
	attrs := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	withShop := func(m map[string]string) map[string]string {
		for k, v := range shop {
			m[k] = v
		}
		return m
	}
	want := []*Record{
		{
			File: path, Row: 2, Platform: "taobao", Channel: "taobao", OrderID: "2847561039284756000",
			Status: StatusCompleted, PlacedAt: at(2025, 11, 11, 0, 0, 12), PaidAt: at(2025, 11, 11, 0, 0, 30),
			Amount: 25600, Province: "浙江省", City: "杭州市",
			Customer: Customer{Key: "tb_alice", KeyKind: KeyBuyerNick, Name: "张三", Phone: "13812345678",
				Province: "浙江省", City: "杭州市", Address: "浙江省 杭州市 西湖区 文三路 90号"},
			Lines: []Line{{Name: "羊毛围巾 灰色", Quantity: 2, UnitPrice: 12800, Amount: 25600}},
			Attrs: withShop(attrs("买家支付宝账号", "ali***@163.com", "买家应付货款", "256.00", "总金额", "256.00", "买家留言", "请尽快发货",
				"宝贝种类", "1", "物流单号", "SF1234567890", "是否手机订单", "手机订单")),
		},
		{
			// Masked nick and phone kept as exported; the landline goes to Attrs.
			File: path, Row: 3, Platform: "taobao", Channel: "taobao", OrderID: "2847561039284756001",
			Status: StatusShipped, PlacedAt: at(2025, 11, 11, 0, 0, 0), PaidAt: at(2025, 11, 11, 0, 5, 0),
			Amount: 13800, ShippingFee: 1000, Province: "北京市", City: "北京市",
			Customer: Customer{Key: "t**1", KeyKind: KeyBuyerNick, Name: "李四", Phone: "138****5678",
				Province: "北京市", City: "北京市", Address: "北京 北京市 朝阳区 建国路 1号"},
			// 138.00 paid − 10.00 shipping, over 3 items: 42.666… → 42.67.
			Lines: []Line{{Name: "西湖龙井", Quantity: 3, UnitPrice: 4267, Amount: 12800}},
			Attrs: withShop(attrs("联系电话", "010-12345678", "买家应付货款", "128.00", "总金额", "138.00", "宝贝种类", "1")),
		},
		{
			File: path, Row: 4, Platform: "taobao", Channel: "taobao", OrderID: "2847561039284756002",
			Status: StatusPaid, PlacedAt: at(2025, 11, 12, 9, 30, 0), PaidAt: at(2025, 11, 12, 9, 31, 0),
			Amount: 9990, Province: "广西壮族自治区", City: "南宁市",
			Customer: Customer{Key: "王五wang", KeyKind: KeyBuyerNick, Name: "王五", Phone: "13900001111",
				Province: "广西壮族自治区", City: "南宁市", Address: "广西壮族自治区 南宁市 青秀区 民族大道 1号"},
			Lines: []Line{{Name: "螺蛳粉 5袋", Quantity: 1, UnitPrice: 9990, Amount: 9990}},
			Attrs: withShop(attrs("买家应付货款", "99.90", "总金额", "99.90", "宝贝种类", "1")),
		},
		{
			File: path, Row: 5, Platform: "taobao", Channel: "taobao", OrderID: "2847561039284756003",
			Status: StatusPending, PlacedAt: at(2025, 11, 12, 10, 0, 0),
			Amount: 5900, Province: "内蒙古自治区", City: "呼和浩特市",
			Customer: Customer{Key: "赵六", KeyKind: KeyBuyerNick, Name: "赵六", Phone: "13700002222",
				Province: "内蒙古自治区", City: "呼和浩特市", Address: "内蒙古自治区 呼和浩特市 新城区 新华大街 8号"},
			Lines: []Line{{Name: "奶茶粉", Quantity: 1, UnitPrice: 5900, Amount: 5900}},
			Attrs: withShop(attrs("买家应付货款", "59.00", "总金额", "59.00", "宝贝种类", "1")),
		},
		{
			// Closed before payment: cancelled; paid 0 less shipping stays 0.
			File: path, Row: 6, Platform: "taobao", Channel: "taobao", OrderID: "2847561039284756004",
			Status: StatusCancelled, PlacedAt: at(2025, 11, 13, 8, 0, 0),
			ShippingFee: 500, Province: "上海市", City: "上海市",
			Customer: Customer{Key: "孙七", KeyKind: KeyBuyerNick, Name: "孙七", Phone: "13600003333",
				Province: "上海市", City: "上海市", Address: "上海市浦东新区世纪大道100号"},
			Lines: []Line{{Name: "帆布袋", Quantity: 1}},
			Attrs: attrs("买家应付货款", "45.00", "总金额", "50.00", "宝贝种类", "1", "订单关闭原因", "买家不想买了"),
		},
		{
			// Closed after a full refund: refunded.
			File: path, Row: 7, Platform: "taobao", Channel: "taobao", OrderID: "2847561039284756005",
			Status: StatusRefunded, PlacedAt: at(2025, 11, 14, 12, 0, 0), PaidAt: at(2025, 11, 14, 12, 1, 0),
			Amount: 8800, Refunded: 8800, Province: "广东省", City: "深圳市",
			Customer: Customer{Key: "周八", KeyKind: KeyBuyerNick, Name: "周八", Phone: "13500004444",
				Province: "广东省", City: "深圳市", Address: "广东 深圳市 南山区 科技园"},
			Lines: []Line{{Name: "蓝牙耳机", Quantity: 1, UnitPrice: 8800, Amount: 8800}},
			Attrs: attrs("买家应付货款", "88.00", "总金额", "88.00", "宝贝种类", "1", "订单关闭原因", "退款"),
		},
		{
			// Successful with a partial refund; address without spaces.
			File: path, Row: 8, Platform: "taobao", Channel: "taobao", OrderID: "2847561039284756006",
			Status: StatusPartiallyRefunded, PlacedAt: at(2025, 11, 15, 20, 0, 0), PaidAt: at(2025, 11, 15, 20, 0, 5),
			Amount: 12000, Refunded: 2000, Province: "四川省", City: "成都市",
			Customer: Customer{Key: "吴九", KeyKind: KeyBuyerNick, Name: "吴九", Phone: "13400005555",
				Province: "四川省", City: "成都市", Address: "四川省成都市武侯区天府大道北段1号"},
			Lines: []Line{{Name: "火锅底料 两包", Quantity: 4, UnitPrice: 3000, Amount: 12000}},
			Attrs: attrs("买家应付货款", "120.00", "总金额", "120.00", "宝贝种类", "2"),
		},
		{
			File: path, Row: 9, Platform: "taobao", Channel: "taobao", OrderID: "2847561039284756007",
			Status: StatusShipped, PlacedAt: at(2025, 11, 16, 7, 15, 0), PaidAt: at(2025, 11, 16, 7, 16, 0),
			Amount: 30000, Province: "新疆维吾尔自治区", City: "乌鲁木齐市",
			Customer: Customer{Key: "郑十", KeyKind: KeyBuyerNick, Name: "郑十", Phone: "13300006666",
				Province: "新疆维吾尔自治区", City: "乌鲁木齐市", Address: "新疆 乌鲁木齐市 天山区 解放南路 2号"},
			Lines: []Line{{Name: "葡萄干 礼盒", Quantity: 3, UnitPrice: 10000, Amount: 30000}},
			Attrs: attrs("买家应付货款", "300.00", "总金额", "300.00", "宝贝种类", "3"),
		},
	}
	r := openFile(t, "taobao", "taobao_utf8.csv", Options{})
	if h := r.Header(); len(h) != 24 || h[10] != "收货地址 " {
		t.Errorf("Header() = %q", h)
	}
	recs := records(t, r)
	if len(recs) != len(want) {
		t.Fatalf("got %d records, want %d", len(recs), len(want))
	}
	for i := range want {
		checkRecord(t, recs[i], want[i])
	}
}

func TestTaobaoBOMOUIDTmall(t *testing.T) {
	path := filepath.Join("testdata", "taobao_utf8_bom.csv")
	want := []*Record{
		{
			// Masked nick with an OAID: the OAID is the key, the nick an attribute.
			File: path, Row: 2, Platform: "tmall", Channel: "tmall", OrderID: "3012345678901234567",
			Status: StatusCompleted, PlacedAt: at(2025, 6, 18, 0, 1, 2), PaidAt: at(2025, 6, 18, 0, 1, 30),
			Amount: 39900, Province: "江苏省", City: "南京市",
			Customer: Customer{Key: "AAE1rT8kZx0mMw9xQ2c3", KeyKind: KeyOUID, Name: "刘**", Phone: "158****0000",
				Province: "江苏省", City: "南京市", Address: "江苏省 南京市 鼓楼区 中山路 1号"},
			Lines: []Line{{Name: "天猫 加湿器", Quantity: 1, UnitPrice: 39900, Amount: 39900}},
			Attrs: map[string]string{"买家会员名": "l**y", "卖家服务费": "3.99"},
		},
		{
			// A readable nick stays the key; the OAID is kept as an attribute.
			File: path, Row: 3, Platform: "taobao", Channel: "taobao", OrderID: "3012345678901234568",
			Status: StatusShipped, PlacedAt: at(2025, 6, 18, 10, 0, 0), PaidAt: at(2025, 6, 18, 10, 0, 10),
			Amount: 4950, ShippingFee: 600, Province: "福建省", City: "厦门市",
			Customer: Customer{Key: "tb_bob", KeyKind: KeyBuyerNick, Name: "陈一", Phone: "15900001234", Email: "bob@example.com",
				Province: "福建省", City: "厦门市", Address: "福建 厦门市 思明区 鼓浪屿"},
			Lines: []Line{{Name: "鱼丸", Quantity: 2, UnitPrice: 2175, Amount: 4350}},
			Attrs: map[string]string{"OAID": "AAE1rT8kZx0mMw9xQ2c4"},
		},
		{
			// No nick and no OAID: a guest.
			File: path, Row: 4, Platform: "tmall", Channel: "tmall", OrderID: "3012345678901234569",
			Status: StatusCompleted, PlacedAt: at(2025, 6, 19, 11, 0, 0), PaidAt: at(2025, 6, 19, 11, 0, 10),
			Amount: 1800, Province: "澳门特别行政区", City: "澳门半岛",
			Customer: Customer{KeyKind: KeyBuyerNick, Province: "澳门特别行政区", City: "澳门半岛", Address: "澳门特别行政区 澳门半岛 大堂区"},
			Lines:    []Line{{Name: "钥匙扣", Quantity: 1, UnitPrice: 1800, Amount: 1800}},
		},
	}
	recs := records(t, openFile(t, "taobao", "taobao_utf8_bom.csv", Options{}))
	if len(recs) != len(want) {
		t.Fatalf("got %d records, want %d", len(recs), len(want))
	}
	for i := range want {
		checkRecord(t, recs[i], want[i])
	}
}

func TestTaobaoGBK(t *testing.T) {
	path := filepath.Join("testdata", "taobao_gbk.csv")
	want := []*Record{
		{
			File: path, Row: 2, Platform: "taobao", Channel: "taobao", OrderID: "1999888877776666555",
			Status: StatusCompleted, PlacedAt: at(2024, 12, 12, 0, 0, 0), PaidAt: at(2024, 12, 12, 0, 1, 0),
			Amount: 128800, Province: "重庆市", City: "重庆市",
			Customer: Customer{Key: "老顾客", KeyKind: KeyBuyerNick, Name: "顾客甲", Phone: "13811112222", Email: "gu@example.cn",
				Province: "重庆市", City: "重庆市", Address: "重庆 重庆市 万州区 江南大道 3号"},
			Lines: []Line{{Name: "羽绒服 黑色 XL", Quantity: 1, UnitPrice: 128800, Amount: 128800}},
		},
		{
			File: path, Row: 3, Platform: "taobao", Channel: "taobao", OrderID: "1999888877776666556",
			Status: StatusShipped, PlacedAt: at(2024, 12, 13, 9, 5, 0), PaidAt: at(2024, 12, 13, 9, 6, 0),
			Amount: 25600, ShippingFee: 2000, Province: "湖北省", City: "仙桃市",
			Customer: Customer{Key: "h**k", KeyKind: KeyBuyerNick, Name: "顾客乙", Phone: "139****8888",
				Province: "湖北省", City: "仙桃市", Address: "湖北省 省直辖县级行政区划 仙桃市 沙嘴街道"},
			Lines: []Line{{Name: "藕粉", Quantity: 2, UnitPrice: 11800, Amount: 23600}},
		},
		{
			File: path, Row: 4, Platform: "taobao", Channel: "taobao", OrderID: "1999888877776666557",
			Status: StatusCancelled, PlacedAt: at(2024, 12, 14, 18, 30, 0),
			Amount: 6660, Province: "吉林省", City: "延边朝鲜族自治州",
			Customer: Customer{Key: "延边人", KeyKind: KeyBuyerNick, Name: "顾客丙", Phone: "13500000000",
				Province: "吉林省", City: "延边朝鲜族自治州", Address: "吉林省延边朝鲜族自治州延吉市人民路"},
			Lines: []Line{{Name: "冷面", Quantity: 3, UnitPrice: 2220, Amount: 6660}},
		},
		{
			File: path, Row: 5, Platform: "taobao", Channel: "taobao", OrderID: "1999888877776666558",
			Status: StatusPaid, PlacedAt: at(2024, 12, 15, 12, 0, 0), PaidAt: at(2024, 12, 15, 12, 0, 1),
			Amount: 10000, Province: "香港特别行政区", City: "九龙",
			Customer: Customer{Key: "港仔", KeyKind: KeyBuyerNick, Name: "顾客丁", Phone: "85291234567",
				Province: "香港特别行政区", City: "九龙", Address: "香港特别行政区 九龙 油尖旺区 弥敦道"},
			Lines: []Line{{Name: "凤梨酥", Quantity: 1, UnitPrice: 10000, Amount: 10000}},
		},
	}
	recs := records(t, openFile(t, "taobao", "taobao_gbk.csv", Options{}))
	if len(recs) != len(want) {
		t.Fatalf("got %d records, want %d", len(recs), len(want))
	}
	for i := range want {
		checkRecord(t, recs[i], want[i])
	}
}

func TestTaobaoRowErrors(t *testing.T) {
	path := filepath.Join("testdata", "taobao_bad.csv")
	res := readAll(t, openFile(t, "taobao", "taobao_bad.csv", Options{}))
	wants := []outcome{
		{id: "100"},
		{err: RowError{Row: 3, Column: "订单状态", Value: "已退款", Expected: "one of 等待买家付款", Rows: [][]string{{`="101"`, "b", "10.00", "已退款", "2025-01-01 10:00:00", "", "x", "1"}}}},
		{err: RowError{Row: 4, Column: "买家实际支付金额", Value: "十元", Expected: "amount such as 128.00"}},
		{err: RowError{Row: 5, Column: "订单创建时间", Value: "昨天", Expected: "a date-time"}},
		{err: RowError{Row: 6, Column: "订单编号", Value: "2.84756E+18", Expected: "rounded by Excel"}},
		{err: RowError{Row: 7, Column: "宝贝总数量", Value: "0", Expected: "at least 1"}},
		{err: RowError{Row: 8, Column: "买家实际支付金额", Value: "-5.00", Expected: "non-negative"}},
		{err: RowError{Row: 9, Column: "订单编号", Value: "", Expected: "an order number"}},
		{err: RowError{Row: 11, Column: "订单付款时间", Value: "2025-01-01 25:00:00", Expected: "a date-time"}},
		{id: "108"},
	}
	checkOutcomes(t, path, res, wants)
}

func TestTaobaoHeaderError(t *testing.T) {
	_, err := openString(t, "taobao", "订单编号,买家会员名,订单状态\n1,a,交易成功\n", Options{})
	re, ok := AsRowError(err)
	if !ok || re.Row != 1 || !strings.Contains(re.Expected, "买家实际支付金额") {
		t.Fatalf("err = %v, want a row 1 error naming 买家实际支付金额", err)
	}
}

func TestTaobaoStatus(t *testing.T) {
	tests := []struct {
		status         string
		paid, refunded string
		want           Status
	}{
		{"交易成功", "100.00", "", StatusCompleted},
		{"交易成功", "100.00", "0.00", StatusCompleted},
		{"交易成功", "100.00", "30.00", StatusPartiallyRefunded},
		{"交易成功", "100.00", "100.00", StatusRefunded},
		{"卖家已发货，等待买家确认", "100.00", "", StatusShipped},
		{"卖家已发货,等待买家确认", "100.00", "", StatusShipped},
		{" 卖家已发货， 等待买家确认 ", "100.00", "", StatusShipped},
		{"卖家已发货，等待买家确认", "100.00", "10.00", StatusPartiallyRefunded},
		{"买家已付款，等待卖家发货", "100.00", "", StatusPaid},
		{"买家已付款,等待卖家发货", "100.00", "100.00", StatusRefunded},
		{"部分发货", "100.00", "", StatusShipped},
		{"卖家部分发货", "100.00", "", StatusShipped},
		{"等待买家付款", "100.00", "", StatusPending},
		{"交易关闭", "0.00", "", StatusCancelled},
		{"交易关闭", "100.00", "100.00", StatusRefunded},
		{"交易关闭", "100.00", "40.00", StatusRefunded},
		{"TRADE_FINISHED", "100.00", "", StatusCompleted},
		{"WAIT_SELLER_SEND_GOODS", "100.00", "", StatusPaid},
	}
	for _, tt := range tests {
		t.Run(tt.status+"/"+tt.refunded, func(t *testing.T) {
			in := fmt.Sprintf("订单编号,买家实际支付金额,订单状态,订单创建时间,退款金额\n1,%s,%q,2025-01-01 00:00:00,%s\n", tt.paid, tt.status, tt.refunded)
			r, err := openString(t, "taobao", in, Options{})
			if err != nil {
				t.Fatal(err)
			}
			recs := records(t, r)
			if len(recs) != 1 || recs[0].Status != tt.want {
				t.Errorf("status = %v, want %v", recs[0].Status, tt.want)
			}
		})
	}
}

func TestSplitAddress(t *testing.T) {
	tests := []struct{ addr, prov, city string }{
		{"浙江省 杭州市 西湖区 文三路 90号", "浙江省", "杭州市"},
		{"浙江 杭州市 西湖区", "浙江省", "杭州市"},
		{"浙江省杭州市西湖区文三路90号", "浙江省", "杭州市"},
		{"北京 北京市 朝阳区 建国路 1号", "北京市", "北京市"},
		{"北京市朝阳区建国路1号", "北京市", "北京市"},
		{"上海 上海市 浦东新区", "上海市", "上海市"},
		{"天津 天津市 和平区", "天津市", "天津市"},
		{"重庆 重庆市 万州区", "重庆市", "重庆市"},
		{"内蒙古自治区 呼和浩特市 新城区", "内蒙古自治区", "呼和浩特市"},
		{"内蒙古 阿拉善盟 阿拉善左旗", "内蒙古自治区", "阿拉善盟"},
		{"广西壮族自治区 南宁市 青秀区", "广西壮族自治区", "南宁市"},
		{"广西 桂林市 秀峰区", "广西壮族自治区", "桂林市"},
		{"广西自治区桂林市秀峰区", "广西壮族自治区", "桂林市"},
		{"宁夏 银川市 兴庆区", "宁夏回族自治区", "银川市"},
		{"西藏自治区 拉萨市 城关区", "西藏自治区", "拉萨市"},
		{"黑龙江省 大兴安岭地区 漠河市", "黑龙江省", "大兴安岭地区"},
		{"吉林省延边朝鲜族自治州延吉市人民路", "吉林省", "延边朝鲜族自治州"},
		{"湖北省 省直辖县级行政区划 仙桃市 沙嘴街道", "湖北省", "仙桃市"},
		{"海南省 三亚市 吉阳区", "海南省", "三亚市"},
		{"陕西省 西安市 雁塔区", "陕西省", "西安市"},
		{"山西省 太原市 小店区", "山西省", "太原市"},
		{"台湾 台北市 信义区", "台湾省", "台北市"},
		{"香港特别行政区 九龙 油尖旺区 弥敦道", "香港特别行政区", "九龙"},
		{"中国 浙江省 宁波市 海曙区", "浙江省", "宁波市"},
		{"中国大陆 浙江省 宁波市", "浙江省", "宁波市"},
		{"浙江省\u3000温州市\u3000鹿城区", "浙江省", "温州市"},
		{"浙江省", "浙江省", ""},
		{"", "", ""},
		{"美国 加利福尼亚州 旧金山", "", ""},
		{"**** **** ****", "", ""},
	}
	for _, tt := range tests {
		prov, city := splitAddress(tt.addr)
		if prov != tt.prov || city != tt.city {
			t.Errorf("splitAddress(%q) = %q, %q; want %q, %q", tt.addr, prov, city, tt.prov, tt.city)
		}
	}
	if len(provinces) != 34 {
		t.Errorf("%d provinces", len(provinces))
	}
}
