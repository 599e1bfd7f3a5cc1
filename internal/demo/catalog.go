package demo

import (
	"math"
	"slices"

	"github.com/guanxi-crm/guanxi"
)

// The shop's categories, in a fixed order: the category index is used in the
// persona and affinity tables below.
const (
	catBeauty     = iota // 美妆护肤
	catApparel           // 服饰
	catBaby              // 母婴
	catFood              // 食品饮料
	catDigital           // 数码配件
	catHome              // 家居
	catSport             // 运动户外
	catCare              // 个护清洁
	catPet               // 宠物用品
	catStationery        // 图书文具
	numCats
)

var categoryNames = [numCats]string{"美妆护肤", "服饰", "母婴", "食品饮料", "数码配件", "家居", "运动户外", "个护清洁", "宠物用品", "图书文具"}

// consumable categories are bought in twos and threes and replenished.
var consumable = [numCats]bool{catBaby: true, catFood: true, catCare: true, catPet: true}

// related lists, per category, the categories that go into the same basket.
var related = [numCats][]int{
	catBeauty:     {catCare, catApparel, catBeauty},
	catApparel:    {catApparel, catBeauty, catSport},
	catBaby:       {catCare, catFood, catBaby},
	catFood:       {catFood, catHome},
	catDigital:    {catDigital, catStationery},
	catHome:       {catCare, catHome},
	catSport:      {catApparel, catFood, catSport},
	catCare:       {catHome, catBaby, catBeauty},
	catPet:        {catPet, catHome, catCare},
	catStationery: {catStationery, catBaby, catDigital},
}

// Product seasons: how a product's popularity varies by month.
const (
	allYear = iota
	summer
	winter
	midAutumn // moon cakes
	newYear   // gift boxes before the Spring Festival
)

var seasonMonth = [...][12]float64{
	allYear:   {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
	summer:    {0.3, 0.3, 0.5, 1.2, 2.5, 2.5, 2.5, 2.5, 1.2, 0.4, 0.3, 0.3},
	winter:    {2.5, 2, 1.2, 0.3, 0.2, 0.2, 0.2, 0.2, 0.3, 1.2, 2.5, 2.5},
	midAutumn: {0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 5, 6, 0.3, 0.02, 0.02},
	newYear:   {4, 3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.5, 2},
}

type product struct {
	sku    string
	name   string
	cat    int
	price  guanxi.Money
	season int
	with   []string // SKUs bought together with this one
}

// p builds a product; price is in yuan.
func p(sku, name string, yuan float64, season int, with ...string) product {
	return product{sku: sku, name: name, price: guanxi.Money(math.Round(yuan * 100)), season: season, with: with}
}

// catalogue lists the products by category, best sellers first.
var catalogue = [numCats][]product{
	catBeauty: {
		p("MZ-001", "玻尿酸补水面膜 10片装", 59, allYear, "MZ-002"),
		p("MZ-002", "烟酰胺亮肤精华液 30ml", 169, allYear, "MZ-001"),
		p("MZ-003", "氨基酸温和洁面乳 120g", 49, allYear, "MZ-004"),
		p("MZ-004", "保湿爽肤水 200ml", 89, allYear, "MZ-005"),
		p("MZ-005", "修护保湿乳液 120ml", 99, allYear, "MZ-004"),
		p("MZ-006", "清透防晒霜 SPF50+ 50ml", 129, summer),
		p("MZ-007", "卸妆水 400ml", 69, allYear, "MZ-008"),
		p("MZ-008", "化妆棉 222片", 19.9, allYear),
		p("MZ-009", "持妆气垫BB霜 自然色", 159, allYear, "MZ-010"),
		p("MZ-010", "美妆蛋 3只装", 29.9, allYear),
		p("MZ-011", "丝绒哑光口红 #星河红", 139, allYear),
		p("MZ-012", "双头防水眉笔", 39, allYear, "MZ-013"),
		p("MZ-013", "纤长卷翘睫毛膏", 79, allYear, "MZ-012"),
		p("MZ-014", "视黄醇抗皱面霜 50g", 259, allYear, "MZ-015"),
		p("MZ-015", "淡纹紧致眼霜 15g", 199, allYear),
		p("MZ-016", "清洁泥膜 100g", 89, allYear),
		p("MZ-017", "烟酰胺身体乳 250ml", 79, winter),
		p("MZ-018", "冻干粉修护精华 6瓶", 299, allYear),
		p("MZ-019", "淡香水 50ml", 399, allYear),
		p("MZ-020", "护肤礼盒 水乳霜三件套", 599, newYear),
	},
	catApparel: {
		p("FS-001", "纯棉圆领短袖T恤", 59, summer, "FS-002"),
		p("FS-002", "高腰阔腿牛仔裤", 169, allYear),
		p("FS-003", "冰丝防晒衣", 89, summer),
		p("FS-004", "纯棉袜子 5双装", 29.9, allYear),
		p("FS-005", "加厚连帽卫衣", 159, winter, "FS-011"),
		p("FS-006", "法式碎花连衣裙", 229, summer, "FS-016"),
		p("FS-007", "无痕内衣套装", 129, allYear),
		p("FS-008", "家居服睡衣套装", 149, allYear),
		p("FS-009", "轻薄羽绒服", 599, winter),
		p("FS-010", "帆布小白鞋", 139, allYear, "FS-004"),
		p("FS-011", "休闲运动裤", 129, allYear),
		p("FS-012", "羊毛混纺针织开衫", 299, winter),
		p("FS-013", "男士免烫商务衬衫", 199, allYear, "FS-018"),
		p("FS-014", "百褶半身裙", 139, summer),
		p("FS-015", "保暖内衣套装", 119, winter),
		p("FS-016", "渔夫帽", 49, summer),
		p("FS-017", "羊绒围巾", 399, winter),
		p("FS-018", "真皮腰带 男款", 169, allYear),
		p("FS-019", "防风冲锋衣外套", 459, winter),
		p("FS-020", "双面呢大衣", 1299, winter, "FS-017"),
	},
	catBaby: {
		p("MY-001", "婴儿纸尿裤 L码 52片", 119, allYear, "MY-003", "MY-009"),
		p("MY-002", "婴儿拉拉裤 XL码 42片", 109, allYear, "MY-003"),
		p("MY-003", "婴儿手口湿巾 80抽×6包", 49.9, allYear),
		p("MY-004", "婴幼儿配方奶粉 3段 800g", 268, allYear, "MY-005"),
		p("MY-005", "宽口径PPSU奶瓶 240ml", 139, allYear),
		p("MY-006", "婴儿有机米粉", 49, allYear),
		p("MY-007", "婴儿洗发沐浴二合一", 38, allYear, "MY-019"),
		p("MY-008", "儿童软毛牙刷 3支", 29.9, allYear),
		p("MY-009", "婴儿护臀膏", 45, allYear),
		p("MY-010", "纯棉婴儿连体衣 3件装", 129, allYear),
		p("MY-011", "宝宝学饮杯", 69, allYear),
		p("MY-012", "防溢乳垫 100片", 39.9, allYear),
		p("MY-013", "孕妇叶酸片", 59, allYear),
		p("MY-014", "宝宝益智积木", 99, allYear),
		p("MY-015", "婴儿指甲剪套装", 25, allYear),
		p("MY-016", "儿童洞洞书 10册", 89, allYear),
		p("MY-017", "电动吸奶器", 459, allYear, "MY-012"),
		p("MY-018", "轻便折叠婴儿推车", 899, allYear),
		p("MY-019", "婴儿润肤霜", 59, winter),
		p("MY-020", "儿童安全座椅", 1099, allYear),
	},
	catFood: {
		p("SP-001", "每日坚果 30包", 129, allYear),
		p("SP-002", "挂耳咖啡 50包", 99, allYear, "SP-001"),
		p("SP-003", "螺蛳粉 5袋", 49.9, allYear, "SP-009"),
		p("SP-004", "无糖苏打水 24瓶", 59.9, summer),
		p("SP-005", "纯牛奶 250ml×24", 69.9, allYear),
		p("SP-006", "手撕风干牛肉干 500g", 89, allYear, "SP-017"),
		p("SP-007", "五常大米 5kg", 79.9, allYear, "SP-008"),
		p("SP-008", "特级初榨橄榄油 1L", 99, allYear),
		p("SP-009", "自热火锅 4盒", 59.9, winter),
		p("SP-010", "黑芝麻丸", 36.9, allYear),
		p("SP-011", "即食燕麦片 1kg", 39.9, allYear),
		p("SP-012", "百花蜂蜜 500g", 69, allYear),
		p("SP-013", "冻干水果脆", 9.9, allYear),
		p("SP-014", "茉莉花茶 250g", 68, allYear),
		p("SP-015", "新疆灰枣 1kg", 45, allYear),
		p("SP-016", "乳清蛋白粉 2磅", 269, allYear),
		p("SP-017", "零食大礼包", 99, newYear),
		p("SP-018", "宁夏枸杞 250g", 39, allYear),
		p("SP-019", "巧克力礼盒", 128, newYear),
		p("SP-020", "流心奶黄月饼礼盒", 198, midAutumn),
	},
	catDigital: {
		p("SM-001", "磁吸手机壳", 39, allYear, "SM-002"),
		p("SM-002", "高清钢化膜 2片装", 19.9, allYear, "SM-001"),
		p("SM-003", "20W PD快充充电器", 49, allYear, "SM-004"),
		p("SM-004", "Type-C数据线 1m 2条装", 29.9, allYear),
		p("SM-005", "20000mAh充电宝", 129, allYear),
		p("SM-006", "蓝牙降噪耳机", 399, allYear),
		p("SM-007", "15W无线充电板", 79, allYear),
		p("SM-008", "静音无线鼠标", 69, allYear, "SM-009"),
		p("SM-009", "机械键盘 青轴", 299, allYear, "SM-008"),
		p("SM-010", "铝合金笔记本支架", 89, allYear, "SM-011"),
		p("SM-011", "USB-C扩展坞 6合1", 199, allYear),
		p("SM-012", "桌面手机支架", 25, allYear),
		p("SM-013", "智能手环", 199, allYear),
		p("SM-014", "平板保护套", 79, allYear),
		p("SM-015", "车载快充", 49, allYear),
		p("SM-016", "64GB U盘", 39.9, allYear),
		p("SM-017", "便携蓝牙音箱", 199, summer),
		p("SM-018", "无线游戏手柄", 249, allYear),
		p("SM-019", "头戴式降噪耳机", 899, allYear),
		p("SM-020", "运动智能手表", 999, allYear),
	},
	catHome: {
		p("JJ-001", "316不锈钢保温杯 500ml", 89, allYear),
		p("JJ-002", "加厚收纳箱 3个装", 69, allYear, "JJ-011"),
		p("JJ-003", "记忆棉枕头", 129, allYear),
		p("JJ-004", "全棉四件套 1.8m", 299, allYear, "JJ-003"),
		p("JJ-005", "懒人抹布 50片", 19.9, allYear),
		p("JJ-006", "香薰蜡烛", 59, allYear),
		p("JJ-007", "植绒防滑衣架 20只装", 29.9, allYear),
		p("JJ-008", "桌面收纳盒", 29.9, allYear),
		p("JJ-009", "浴室吸水地垫", 39, allYear),
		p("JJ-010", "电热水壶 1.7L", 99, allYear),
		p("JJ-011", "真空压缩袋 10件装", 49, allYear),
		p("JJ-012", "麦饭石不粘炒锅 32cm", 239, allYear, "JJ-015"),
		p("JJ-013", "玻璃水杯 2只装", 39, allYear),
		p("JJ-014", "夏凉被", 199, summer),
		p("JJ-015", "免打孔厨房置物架", 79, allYear),
		p("JJ-016", "加厚法兰绒毛毯", 159, winter),
		p("JJ-017", "LED护眼台灯", 159, allYear),
		p("JJ-018", "遮光窗帘", 149, allYear),
		p("JJ-019", "陶瓷餐具套装", 199, newYear),
		p("JJ-020", "天然乳胶床垫 1.5m", 1299, allYear),
	},
	catSport: {
		p("YD-001", "TPE瑜伽垫 6mm", 89, allYear, "YD-002"),
		p("YD-002", "瑜伽服套装", 199, allYear, "YD-001"),
		p("YD-003", "计数跳绳", 29.9, allYear),
		p("YD-004", "运动速干T恤", 79, summer),
		p("YD-005", "弹力带 5件套", 39.9, allYear),
		p("YD-006", "冰丝防晒袖套 2双", 19.9, summer),
		p("YD-007", "运动水壶 1L", 49, allYear),
		p("YD-008", "缓震跑步鞋", 459, allYear),
		p("YD-009", "可调节哑铃 10kg", 189, allYear, "YD-005"),
		p("YD-010", "运动护膝 一对", 59, allYear),
		p("YD-011", "户外折叠椅", 99, summer),
		p("YD-012", "露营灯", 79, summer),
		p("YD-013", "防雾泳镜", 69, summer),
		p("YD-014", "筋膜枪", 399, allYear),
		p("YD-015", "运动腰包", 39, allYear),
		p("YD-016", "羽毛球拍 2支装", 159, allYear),
		p("YD-017", "7号篮球", 129, allYear),
		p("YD-018", "骑行手套", 49, allYear),
		p("YD-019", "登山包 40L", 269, allYear),
		p("YD-020", "自动速开帐篷 3-4人", 599, summer, "YD-012", "YD-011"),
	},
	catCare: {
		p("GH-001", "氨基酸洗发水 500ml", 69, allYear, "GH-002"),
		p("GH-002", "柔顺护发素 500ml", 59, allYear, "GH-001"),
		p("GH-003", "抽纸 24包", 49.9, allYear),
		p("GH-004", "沐浴露 1L", 59.9, allYear),
		p("GH-005", "洗衣凝珠 52颗", 49.9, allYear),
		p("GH-006", "美白牙膏 3支装", 39.9, allYear, "GH-012"),
		p("GH-007", "卫生巾 日夜组合", 39.9, allYear),
		p("GH-008", "声波电动牙刷", 199, allYear, "GH-009"),
		p("GH-009", "电动牙刷替换头 4支", 59, allYear),
		p("GH-010", "洗衣液 3kg", 45.9, allYear),
		p("GH-011", "泡沫洗手液 3瓶", 29.9, allYear),
		p("GH-012", "漱口水 500ml", 35, allYear),
		p("GH-013", "厨房重油污清洁剂", 24.9, allYear),
		p("GH-014", "护手霜 3支", 29.9, winter),
		p("GH-015", "洗脸棉柔巾 6包", 35.9, allYear),
		p("GH-016", "牙线棒 100支", 15.9, allYear),
		p("GH-017", "消毒湿巾 10包", 19.9, allYear),
		p("GH-018", "止汗露", 39, summer),
		p("GH-019", "负离子吹风机", 299, allYear),
		p("GH-020", "电动剃须刀", 259, allYear),
	},
	catPet: {
		p("CW-001", "全价成猫粮 2kg", 129, allYear, "CW-002"),
		p("CW-002", "豆腐猫砂 6L×4包", 89, allYear, "CW-001"),
		p("CW-003", "猫条 30支", 49.9, allYear, "CW-004"),
		p("CW-004", "冻干猫零食", 59, allYear),
		p("CW-005", "瓦楞纸猫抓板", 29.9, allYear),
		p("CW-006", "全价成犬粮 10kg", 299, allYear, "CW-007"),
		p("CW-007", "狗狗磨牙棒", 39.9, allYear),
		p("CW-008", "主食猫罐头 24罐", 139, allYear),
		p("CW-009", "宠物尿垫 100片", 59, allYear),
		p("CW-010", "宠物除臭喷雾", 35, allYear),
		p("CW-011", "逗猫棒 5件套", 19.9, allYear),
		p("CW-012", "宠物自动饮水机", 129, allYear),
		p("CW-013", "体内外驱虫药", 89, allYear),
		p("CW-014", "宠物沐浴露", 45, allYear),
		p("CW-015", "宠物牵引绳", 49, allYear),
		p("CW-016", "四季通用宠物窝", 119, winter),
		p("CW-017", "宠物针梳", 29.9, allYear),
		p("CW-018", "狗狗玩具球", 25, allYear),
		p("CW-019", "自动喂食器", 299, allYear),
		p("CW-020", "实木猫爬架", 399, allYear, "CW-011"),
	},
	catStationery: {
		p("TS-001", "0.5mm中性笔 12支", 19.9, allYear, "TS-002"),
		p("TS-002", "A5笔记本 4本", 29.9, allYear),
		p("TS-003", "荧光笔 6色", 15.9, allYear),
		p("TS-004", "便利贴 10本", 12.9, allYear),
		p("TS-005", "手账本套装", 69, allYear, "TS-004", "TS-003"),
		p("TS-006", "《三体》全三册", 93, allYear, "TS-008"),
		p("TS-007", "《活着》", 28, allYear),
		p("TS-008", "《人类简史》", 68, allYear),
		p("TS-009", "《小王子》", 25, allYear),
		p("TS-010", "错题本 5本", 19.9, allYear),
		p("TS-011", "儿童绘本 10册", 99, allYear, "TS-012"),
		p("TS-012", "英语单词卡", 39, allYear),
		p("TS-013", "练字帖", 29.9, allYear),
		p("TS-014", "科学函数计算器", 59, allYear),
		p("TS-015", "文件收纳袋 10个", 19.9, allYear),
		p("TS-016", "金属书签", 9.9, allYear),
		p("TS-017", "素描铅笔套装", 35, allYear),
		p("TS-018", "24色水彩颜料", 49, allYear),
		p("TS-019", "铁艺书立 2只", 25, allYear),
		p("TS-020", "钢笔礼盒", 159, allYear),
	},
}

// Price levels: how strongly a customer leans towards cheap or dear products.
var priceLevels = [...]float64{-0.9, -0.45, 0, 0.45, 0.9}
var priceLevelShare = []float64{0.15, 0.25, 0.3, 0.2, 0.1}

// catalog is the catalogue flattened, with companions resolved and product
// choice precomputed per category, price level and month.
type catalog struct {
	products []product
	lines    [numCats][]int                           // product indexes by category
	with     [][]int                                  // companions by product index
	pick     [numCats][len(priceLevels)][12][]float64 // cumulative weights over lines[cat]
}

var shopCatalog = buildCatalog()

func buildCatalog() *catalog {
	c := &catalog{}
	bySKU := map[string]int{}
	for cat, ps := range catalogue {
		for _, pr := range ps {
			pr.cat = cat
			bySKU[pr.sku] = len(c.products)
			c.lines[cat] = append(c.lines[cat], len(c.products))
			c.products = append(c.products, pr)
		}
	}
	c.with = make([][]int, len(c.products))
	for i, pr := range c.products {
		for _, s := range pr.with {
			j, ok := bySKU[s]
			if !ok {
				panic("demo: unknown companion SKU " + s)
			}
			c.with[i] = append(c.with[i], j)
		}
	}
	for cat := range numCats {
		idx := c.lines[cat]
		prices := make([]float64, len(idx))
		for k, i := range idx {
			prices[k] = float64(c.products[i].price)
		}
		sorted := slices.Clone(prices)
		slices.Sort(sorted)
		median := sorted[len(sorted)/2]
		for lv, exp := range priceLevels {
			for m := range 12 {
				cum := make([]float64, len(idx))
				sum := 0.0
				for k, i := range idx {
					// Best sellers first: a Zipf-like popularity by rank.
					w := 1 / math.Pow(float64(k+1), 0.85)
					w *= math.Pow(prices[k]/median, exp-0.35) // dear things sell less
					w *= seasonMonth[c.products[i].season][m]
					sum += w
					cum[k] = sum
				}
				c.pick[cat][lv][m] = cum
			}
		}
	}
	return c
}
