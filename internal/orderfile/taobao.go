package orderfile

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guanxi-crm/guanxi"
)

// taobaoFields maps what the reader uses from the seller-center order report
// (订单报表, one row per order) to the header spellings seen across its
// versions. Headers match trimmed and case-insensitively; every other column
// (买家支付宝账号, 总金额, 买家留言, 宝贝种类, 店铺名称, 订单关闭原因, 物流单号, …) is
// kept in Record.Attrs under its header.
var taobaoFields = []struct {
	field   string
	headers []string
}{
	{"order_id", []string{"订单编号", "主订单编号", "订单号"}},
	{"nick", []string{"买家会员名", "买家昵称"}},
	{"ouid", []string{"OAID", "OUID", "买家OUID", "买家OAID"}},
	{"amount", []string{"买家实际支付金额", "实际支付金额", "买家实付金额", "实付金额"}},
	{"shipping", []string{"买家应付邮费", "邮费", "运费"}},
	{"refund", []string{"退款金额"}},
	{"status", []string{"订单状态", "交易状态"}},
	{"name", []string{"收货人姓名", "收货人"}},
	{"address", []string{"收货地址", "收货人地址"}},
	{"mobile", []string{"联系手机", "收货人手机", "手机"}},
	{"tel", []string{"联系电话", "收货人电话", "电话"}},
	{"email", []string{"买家邮箱", "邮箱"}},
	{"created", []string{"订单创建时间", "创建时间", "下单时间"}},
	{"paid_at", []string{"订单付款时间", "付款时间", "支付时间"}},
	{"title", []string{"宝贝标题", "商品标题"}},
	{"qty", []string{"宝贝总数量", "商品总数量", "宝贝数量", "购买数量"}},
	{"sku", []string{"商家编码", "宝贝商家编码", "商家编码(sku)"}},
	{"shop_type", []string{"店铺类型", "店铺类别"}},
	{"is_tmall", []string{"是否天猫订单", "是否天猫", "天猫订单"}},
}

// taobaoRequired are the fields without which a report cannot be read.
var taobaoRequired = []string{"order_id", "amount", "status", "created"}

// taobaoStatuses maps the report's 订单状态 texts (spaces dropped, full-width
// commas made ASCII) and the Taobao API's status codes, which ERP tools
// export, to Guanxi statuses. Refunds refine the result (see taobaoReader.status).
var taobaoStatuses = map[string]Status{
	"等待买家付款":         StatusPending,
	"没有创建支付宝交易":      StatusPending,
	"付款确认中":          StatusPending,
	"买家已付款,等待卖家发货":   StatusPaid,
	"买家已付款":          StatusPaid,
	"等待卖家发货":         StatusPaid,
	"部分发货":           StatusShipped,
	"卖家部分发货":         StatusShipped,
	"卖家已发货,等待买家确认":   StatusShipped,
	"卖家已发货,等待买家确认收货": StatusShipped,
	"卖家已发货":          StatusShipped,
	"等待买家确认收货":       StatusShipped,
	"买家已签收":          StatusShipped,
	"交易成功":           StatusCompleted,
	"交易关闭":           StatusCancelled,
	"交易自动关闭":         StatusCancelled,

	"wait_buyer_pay":           StatusPending,
	"trade_no_create_pay":      StatusPending,
	"pay_pending":              StatusPending,
	"wait_seller_send_goods":   StatusPaid,
	"seller_consigned_part":    StatusShipped,
	"wait_buyer_confirm_goods": StatusShipped,
	"trade_buyer_signed":       StatusShipped,
	"trade_finished":           StatusCompleted,
	"trade_closed":             StatusCancelled,
	"trade_closed_by_taobao":   StatusCancelled,
	"wait_pre_auth_confirm":    StatusPending,
	"paid_forbid_consign":      StatusPaid,
}

const taobaoStatusExpected = "one of 等待买家付款, 买家已付款，等待卖家发货, 部分发货, 卖家已发货，等待买家确认, 交易成功, 交易关闭"

type taobaoReader struct {
	columns
	opt Options
}

// newTaobao reads a Taobao/Tmall seller-center order report, GBK or UTF-8.
// It fails with a *RowError on row 1 when the header lacks 订单编号,
// 买家实际支付金额, 订单状态 or 订单创建时间.
func newTaobao(name string, r io.Reader, opt Options) (Reader, error) {
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	f, err := openCSV(name, r)
	if err != nil {
		return nil, err
	}
	t := &taobaoReader{columns: newColumns(f), opt: opt}
	for _, fd := range taobaoFields {
		if i := f.col(fd.headers...); i >= 0 {
			t.cols[fd.field] = i
			t.used[i] = true
		}
	}
	for _, req := range taobaoRequired {
		if _, ok := t.cols[req]; !ok {
			return nil, &RowError{File: name, Row: 1, Expected: fmt.Sprintf("a Taobao order report with a %s column in the header (found %s)",
				taobaoHeaders(req), strings.Join(f.header, ", "))}
		}
	}
	return t, nil
}

func taobaoHeaders(field string) string {
	for _, fd := range taobaoFields {
		if fd.field == field {
			return strings.Join(fd.headers, "/")
		}
	}
	return field
}

// Next returns the order of the next row. Rows whose cells are all blank
// (left behind by spreadsheets) are skipped.
func (t *taobaoReader) Next() (*Record, error) {
	for {
		rec, row, err := t.f.read()
		if err != nil {
			return nil, err
		}
		if blankRow(rec) {
			continue
		}
		r, rerr := t.record(rec, row)
		if rerr != nil {
			return nil, rerr
		}
		return r, nil
	}
}

func (t *taobaoReader) record(rec []string, row int) (*Record, *RowError) {
	r := &Record{File: t.f.name, Row: row, Platform: "taobao", Channel: "taobao"}
	if t.isTmall(rec) {
		r.Platform, r.Channel = "tmall", "tmall"
	}
	r.OrderID = t.get(rec, "order_id")
	if r.OrderID == "" {
		return nil, t.bad(row, rec, "order_id", "an order number")
	}
	if excelRounded(r.OrderID) {
		return nil, t.bad(row, rec, "order_id", "the order number in full; this one was rounded by Excel (download the report again and import it without saving it in Excel)")
	}

	var err error
	if r.PlacedAt, err = ParseTime(t.get(rec, "created"), t.opt.Location); err != nil {
		return nil, t.bad(row, rec, "created", "a date-time such as 2025-11-11 00:00:12")
	}
	if s := t.get(rec, "paid_at"); s != "" {
		if r.PaidAt, err = ParseTime(s, t.opt.Location); err != nil {
			return nil, t.bad(row, rec, "paid_at", "a date-time such as 2025-11-11 00:00:12, or nothing for an unpaid order")
		}
	}
	var rerr *RowError
	if r.Amount, rerr = t.money(rec, row, "amount", true); rerr != nil {
		return nil, rerr
	}
	if r.ShippingFee, rerr = t.money(rec, row, "shipping", false); rerr != nil {
		return nil, rerr
	}
	if r.Refunded, rerr = t.money(rec, row, "refund", false); rerr != nil {
		return nil, rerr
	}
	if r.Status, rerr = t.status(rec, row, r); rerr != nil {
		return nil, rerr
	}

	address := t.get(rec, "address")
	r.Province, r.City = splitAddress(address)
	r.Customer = Customer{
		Name:     t.get(rec, "name"),
		Email:    t.get(rec, "email"),
		Province: r.Province, City: r.City,
		Address: address,
	}
	t.customerKey(r, rec)
	mobile, tel := t.get(rec, "mobile"), t.get(rec, "tel")
	r.Customer.Phone = mobile
	if mobile == "" {
		r.Customer.Phone = tel
	} else if tel != "" && tel != mobile {
		addAttr(r, t.f.header[t.cols["tel"]], tel)
	}

	if rerr = t.line(r, rec, row); rerr != nil {
		return nil, rerr
	}
	for i, used := range t.used {
		if !used && i < len(rec) {
			addAttr(r, t.f.header[i], CleanCell(rec[i]))
		}
	}
	return r, nil
}

// customerKey chooses the buyer's key. The nick (买家会员名) is the key when it
// is readable; since 2022 the seller center masks nicks (t**1) and offers a
// per-shop OAID/OUID instead, so a masked or missing nick gives way to that
// column when it has a value. A masked nick with no OUID stays the key as
// exported: the importer does not match masked keys. Whichever of the two
// is not the key stays in Attrs.
func (t *taobaoReader) customerKey(r *Record, rec []string) {
	nick, ouid := t.get(rec, "nick"), t.get(rec, "ouid")
	switch {
	case ouid != "" && (nick == "" || masked(nick)):
		r.Customer.Key, r.Customer.KeyKind = ouid, KeyOUID
		if nick != "" {
			addAttr(r, t.f.header[t.cols["nick"]], nick)
		}
	default:
		r.Customer.Key, r.Customer.KeyKind = nick, KeyBuyerNick
		if ouid != "" {
			addAttr(r, t.f.header[t.cols["ouid"]], ouid)
		}
	}
}

func masked(s string) bool { return strings.Contains(s, "*") }

// isTmall reports whether the row is a Tmall order: a 店铺类型 column saying
// 天猫 or tmall (or B, the Taobao API's shop type for Tmall), or a 是否天猫订单
// column saying yes. The 天猫卡券抵扣 column proves nothing: every Taobao
// report has it.
func (t *taobaoReader) isTmall(rec []string) bool {
	if s := strings.ToLower(t.get(rec, "shop_type")); strings.Contains(s, "天猫") || strings.Contains(s, "tmall") || s == "b" {
		return true
	}
	switch strings.ToLower(t.get(rec, "is_tmall")) {
	case "是", "yes", "y", "true", "1":
		return true
	}
	return false
}

func (t *taobaoReader) money(rec []string, row int, field string, required bool) (guanxi.Money, *RowError) {
	s := t.get(rec, field)
	if s == "" {
		if required {
			return 0, t.bad(row, rec, field, "an amount such as 128.00")
		}
		return 0, nil
	}
	m, err := guanxi.ParseMoney(s)
	if err != nil || m < 0 {
		return 0, t.bad(row, rec, field, "a non-negative amount such as 128.00")
	}
	return m, nil
}

// status maps 订单状态 and then lets refunds (退款金额) refine it: a closed
// trade with a refund was paid and refunded, not cancelled; a paid, shipped
// or successful order refunded in full is refunded, in part partially
// refunded.
func (t *taobaoReader) status(rec []string, row int, r *Record) (Status, *RowError) {
	s := t.get(rec, "status")
	key := strings.ToLower(strings.Join(strings.Fields(strings.ReplaceAll(s, "，", ",")), ""))
	st, ok := taobaoStatuses[key]
	if !ok {
		return "", t.bad(row, rec, "status", taobaoStatusExpected)
	}
	switch {
	case r.Refunded <= 0:
	case st == StatusCancelled:
		st = StatusRefunded
	case st.IsPurchase() && r.Refunded >= r.Amount:
		st = StatusRefunded
	case st.IsPurchase():
		st = StatusPartiallyRefunded
	}
	return st, nil
}

// line makes the report's one line: 宝贝标题 × 宝贝总数量 (1 when empty). The
// report gives no item prices, so the line's amount is what the buyer paid
// less shipping (买家实际支付金额 − 买家应付邮费, never below zero), and its unit
// price that divided by the quantity, rounded half up. A report with neither
// column gives no lines.
func (t *taobaoReader) line(r *Record, rec []string, row int) *RowError {
	_, hasTitle := t.cols["title"]
	_, hasQty := t.cols["qty"]
	if !hasTitle && !hasQty {
		return nil
	}
	l := Line{Name: t.get(rec, "title"), SKU: t.get(rec, "sku"), Quantity: 1}
	if s := t.get(rec, "qty"); s != "" {
		q, err := strconv.ParseInt(s, 10, 64)
		if err != nil || q < 1 || q > 1e9 {
			return t.bad(row, rec, "qty", "a whole number of items, at least 1")
		}
		l.Quantity = q
	}
	l.Amount = max(r.Amount-r.ShippingFee, 0)
	l.UnitPrice = guanxi.Money((int64(l.Amount)*2 + l.Quantity) / (2 * l.Quantity))
	r.Lines = append(r.Lines, l)
	return nil
}

// excelRounded reports whether an id went through Excel's number format:
// 2.84756E+18 instead of 2847561039284756000.
func excelRounded(id string) bool {
	i := strings.IndexAny(id, "Ee")
	if i <= 0 || i == len(id)-1 {
		return false
	}
	if _, err := strconv.ParseFloat(id, 64); err != nil {
		return false
	}
	return strings.ContainsRune(id[:i], '.') || id[i+1] == '+'
}

// blankRow reports whether every cell of rec is empty once cleaned.
func blankRow(rec []string) bool {
	for _, c := range rec {
		if CleanCell(c) != "" {
			return false
		}
	}
	return true
}

// addAttr keeps a non-empty value in r.Attrs under the trimmed header.
func addAttr(r *Record, header, v string) {
	if v == "" {
		return
	}
	if r.Attrs == nil {
		r.Attrs = map[string]string{}
	}
	r.Attrs[strings.TrimSpace(header)] = v
}

// province is one of China's 34 provincial-level divisions: the official
// name, and the short form exports also use (北京 for 北京市).
type province struct{ full, short string }

var provinces = [34]province{
	{"北京市", "北京"}, {"天津市", "天津"}, {"上海市", "上海"}, {"重庆市", "重庆"},
	{"河北省", "河北"}, {"山西省", "山西"}, {"辽宁省", "辽宁"}, {"吉林省", "吉林"},
	{"黑龙江省", "黑龙江"}, {"江苏省", "江苏"}, {"浙江省", "浙江"}, {"安徽省", "安徽"},
	{"福建省", "福建"}, {"江西省", "江西"}, {"山东省", "山东"}, {"河南省", "河南"},
	{"湖北省", "湖北"}, {"湖南省", "湖南"}, {"广东省", "广东"}, {"海南省", "海南"},
	{"四川省", "四川"}, {"贵州省", "贵州"}, {"云南省", "云南"}, {"陕西省", "陕西"},
	{"甘肃省", "甘肃"}, {"青海省", "青海"}, {"台湾省", "台湾"},
	{"内蒙古自治区", "内蒙古"}, {"广西壮族自治区", "广西"}, {"西藏自治区", "西藏"},
	{"宁夏回族自治区", "宁夏"}, {"新疆维吾尔自治区", "新疆"},
	{"香港特别行政区", "香港"}, {"澳门特别行政区", "澳门"},
}

// municipality reports whether full is one of the four municipalities, whose
// city is the municipality itself.
func municipality(full string) bool {
	return full == "北京市" || full == "天津市" || full == "上海市" || full == "重庆市"
}

// provincePrefix finds the provincial-level division s starts with, in its
// full name or short form (北京, 广西, 广西自治区), and returns its full
// name and the rest of s; "" and s when there is none.
func provincePrefix(s string) (string, string) {
	for _, p := range provinces {
		if rest, ok := strings.CutPrefix(s, p.full); ok {
			return p.full, rest
		}
	}
	for _, p := range provinces {
		if rest, ok := strings.CutPrefix(s, p.short); ok {
			for _, suffix := range []string{p.full[len(p.short):], "自治区", "特别行政区", "省", "市"} {
				if after, ok := strings.CutPrefix(rest, suffix); ok && suffix != "" {
					rest = after
					break
				}
			}
			return p.full, rest
		}
	}
	return "", s
}

// citySuffixes end the names of prefecture-level divisions.
var citySuffixes = []string{"市", "自治州", "地区", "盟"}

// splitAddress reads the province and the city from a Taobao 收货地址:
// "浙江省 杭州市 西湖区 文三路 1号", "北京 北京市 朝阳区 …", or the same
// without spaces. The province comes back in its full official name, so one
// province always has one spelling; the city of a municipality is the
// municipality. Both are "" when the address does not start with a
// province of China.
func splitAddress(addr string) (prov, city string) {
	s := strings.TrimSpace(addr)
	for _, c := range []string{"中国大陆", "中国"} {
		if rest, ok := strings.CutPrefix(s, c); ok {
			s = strings.TrimSpace(rest)
			break
		}
	}
	prov, rest := provincePrefix(s)
	if prov == "" {
		return "", ""
	}
	if municipality(prov) {
		return prov, prov
	}
	spaced := rest != strings.TrimLeftFunc(rest, isSpace)
	fields := strings.Fields(rest)
	if len(fields) > 0 && (fields[0] == "省直辖县级行政区划" || fields[0] == "自治区直辖县级行政区划") {
		fields, spaced = fields[1:], true
	}
	if len(fields) == 0 {
		return prov, ""
	}
	tok := fields[0]
	if c := cityPrefix(tok); c != "" {
		return prov, c
	}
	if spaced && len(fields) > 1 {
		// "香港特别行政区 九龙 油尖旺区": the second field is the city as written.
		return prov, tok
	}
	return prov, ""
}

// cityPrefix returns the shortest prefix of s, at most 12 runes long, that
// ends in a city suffix; "" when there is none.
func cityPrefix(s string) string {
	best := -1
	for _, suf := range citySuffixes {
		if i := strings.Index(s, suf); i > 0 && (best < 0 || i+len(suf) < best) {
			best = i + len(suf)
		}
	}
	if best < 0 || utf8.RuneCountInString(s[:best]) > 12 {
		return ""
	}
	return s[:best]
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\u3000' }
