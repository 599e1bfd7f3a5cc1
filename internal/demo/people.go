package demo

// The tables people are drawn from. Weights are relative, not percentages.

type syllable struct {
	han, pinyin string
	w           float64
}

// surnames with their approximate share of the population (‰·10), from the
// 2020 census ranking.
var surnames = []syllable{
	{"王", "wang", 71}, {"李", "li", 70}, {"张", "zhang", 67}, {"刘", "liu", 54}, {"陈", "chen", 45},
	{"杨", "yang", 31}, {"黄", "huang", 22}, {"赵", "zhao", 23}, {"吴", "wu", 20}, {"周", "zhou", 20},
	{"徐", "xu", 15}, {"孙", "sun", 14}, {"马", "ma", 12}, {"朱", "zhu", 13}, {"胡", "hu", 12},
	{"郭", "guo", 11}, {"何", "he", 10}, {"高", "gao", 10}, {"林", "lin", 10}, {"罗", "luo", 9},
	{"郑", "zheng", 8}, {"梁", "liang", 8}, {"谢", "xie", 7}, {"宋", "song", 6}, {"唐", "tang", 6},
	{"许", "xu", 5.5}, {"韩", "han", 5.4}, {"冯", "feng", 5.2}, {"邓", "deng", 5.2}, {"曹", "cao", 5},
	{"彭", "peng", 4.9}, {"曾", "zeng", 4.8}, {"肖", "xiao", 4.6}, {"田", "tian", 4.5}, {"董", "dong", 4.4},
	{"袁", "yuan", 4.3}, {"潘", "pan", 4.2}, {"于", "yu", 4.1}, {"蒋", "jiang", 4}, {"蔡", "cai", 3.9},
	{"余", "yu", 3.8}, {"杜", "du", 3.8}, {"叶", "ye", 3.7}, {"程", "cheng", 3.7}, {"苏", "su", 3.6},
	{"魏", "wei", 3.5}, {"吕", "lv", 3.4}, {"丁", "ding", 3.4}, {"任", "ren", 3.3}, {"沈", "shen", 3.2},
	{"姚", "yao", 3.1}, {"卢", "lu", 3}, {"姜", "jiang", 3}, {"崔", "cui", 2.9}, {"钟", "zhong", 2.9},
	{"谭", "tan", 2.8}, {"陆", "lu", 2.8}, {"汪", "wang", 2.7}, {"范", "fan", 2.7}, {"金", "jin", 2.6},
	{"石", "shi", 2.5}, {"廖", "liao", 2.4}, {"贾", "jia", 2.4}, {"夏", "xia", 2.4}, {"韦", "wei", 2.3},
	{"付", "fu", 2.3}, {"方", "fang", 2.2}, {"白", "bai", 2.2}, {"邹", "zou", 2.2}, {"孟", "meng", 2.1},
	{"熊", "xiong", 2.1}, {"秦", "qin", 2.1}, {"邱", "qiu", 2}, {"江", "jiang", 2}, {"尹", "yin", 1.9},
	{"薛", "xue", 1.9}, {"闫", "yan", 1.9}, {"段", "duan", 1.8}, {"雷", "lei", 1.8}, {"侯", "hou", 1.8},
	{"龙", "long", 1.7}, {"史", "shi", 1.7}, {"陶", "tao", 1.6}, {"黎", "li", 1.6}, {"贺", "he", 1.6},
	{"顾", "gu", 1.6}, {"毛", "mao", 1.5}, {"郝", "hao", 1.5}, {"龚", "gong", 1.5}, {"邵", "shao", 1.5},
	{"万", "wan", 1.4}, {"钱", "qian", 1.4}, {"严", "yan", 1.4}, {"覃", "qin", 1.3}, {"武", "wu", 1.3},
	{"戴", "dai", 1.3}, {"莫", "mo", 1.3}, {"孔", "kong", 1.2}, {"向", "xiang", 1.2}, {"汤", "tang", 1.2},
	{"欧阳", "ouyang", 0.5}, {"上官", "shangguan", 0.1}, {"司马", "sima", 0.1},
}

// givenName is a given name with the pinyin of each character, for nicks
// and email addresses.
type givenName struct {
	han    string
	pinyin []string
}

// Common given names, two characters and one.
var femaleGiven2 = []givenName{
	{"欣怡", []string{"xin", "yi"}}, {"梓涵", []string{"zi", "han"}}, {"诗涵", []string{"shi", "han"}},
	{"雨涵", []string{"yu", "han"}}, {"子涵", []string{"zi", "han"}}, {"佳怡", []string{"jia", "yi"}},
	{"可欣", []string{"ke", "xin"}}, {"思涵", []string{"si", "han"}}, {"晓雪", []string{"xiao", "xue"}},
	{"婷婷", []string{"ting", "ting"}}, {"丽娟", []string{"li", "juan"}}, {"秀英", []string{"xiu", "ying"}},
	{"桂英", []string{"gui", "ying"}}, {"玉兰", []string{"yu", "lan"}}, {"美玲", []string{"mei", "ling"}},
	{"静怡", []string{"jing", "yi"}}, {"雨欣", []string{"yu", "xin"}}, {"梦琪", []string{"meng", "qi"}},
	{"佳琪", []string{"jia", "qi"}}, {"欣妍", []string{"xin", "yan"}}, {"雅婷", []string{"ya", "ting"}},
	{"晓燕", []string{"xiao", "yan"}}, {"丽华", []string{"li", "hua"}}, {"海燕", []string{"hai", "yan"}},
	{"春梅", []string{"chun", "mei"}}, {"红梅", []string{"hong", "mei"}}, {"慧敏", []string{"hui", "min"}},
	{"文静", []string{"wen", "jing"}}, {"倩倩", []string{"qian", "qian"}}, {"丹丹", []string{"dan", "dan"}},
	{"佳慧", []string{"jia", "hui"}}, {"思雨", []string{"si", "yu"}}, {"若曦", []string{"ruo", "xi"}},
	{"一诺", []string{"yi", "nuo"}}, {"语桐", []string{"yu", "tong"}}, {"紫萱", []string{"zi", "xuan"}},
	{"梓萱", []string{"zi", "xuan"}}, {"心怡", []string{"xin", "yi"}}, {"嘉怡", []string{"jia", "yi"}},
	{"佳颖", []string{"jia", "ying"}}, {"雪梅", []string{"xue", "mei"}}, {"晓丽", []string{"xiao", "li"}},
	{"秀兰", []string{"xiu", "lan"}}, {"淑华", []string{"shu", "hua"}}, {"婉清", []string{"wan", "qing"}},
	{"诗琪", []string{"shi", "qi"}}, {"梦瑶", []string{"meng", "yao"}}, {"欣然", []string{"xin", "ran"}},
	{"舒婷", []string{"shu", "ting"}}, {"艳红", []string{"yan", "hong"}}, {"小红", []string{"xiao", "hong"}},
	{"晓琳", []string{"xiao", "lin"}}, {"雅琪", []string{"ya", "qi"}}, {"思琪", []string{"si", "qi"}},
	{"佳欣", []string{"jia", "xin"}}, {"雨桐", []string{"yu", "tong"}}, {"美琪", []string{"mei", "qi"}},
	{"晓敏", []string{"xiao", "min"}}, {"丽萍", []string{"li", "ping"}}, {"金凤", []string{"jin", "feng"}},
}

var femaleGiven1 = []givenName{
	{"芳", []string{"fang"}}, {"娜", []string{"na"}}, {"敏", []string{"min"}}, {"静", []string{"jing"}},
	{"丽", []string{"li"}}, {"艳", []string{"yan"}}, {"娟", []string{"juan"}}, {"霞", []string{"xia"}},
	{"婷", []string{"ting"}}, {"雪", []string{"xue"}}, {"琳", []string{"lin"}}, {"颖", []string{"ying"}},
	{"倩", []string{"qian"}}, {"洁", []string{"jie"}}, {"玲", []string{"ling"}}, {"燕", []string{"yan"}},
	{"慧", []string{"hui"}}, {"萍", []string{"ping"}}, {"红", []string{"hong"}}, {"瑶", []string{"yao"}},
	{"璐", []string{"lu"}}, {"莉", []string{"li"}},
}

var maleGiven2 = []givenName{
	{"浩然", []string{"hao", "ran"}}, {"子轩", []string{"zi", "xuan"}}, {"宇轩", []string{"yu", "xuan"}},
	{"俊杰", []string{"jun", "jie"}}, {"浩宇", []string{"hao", "yu"}}, {"志强", []string{"zhi", "qiang"}},
	{"建华", []string{"jian", "hua"}}, {"建国", []string{"jian", "guo"}}, {"国强", []string{"guo", "qiang"}},
	{"海涛", []string{"hai", "tao"}}, {"文杰", []string{"wen", "jie"}}, {"晓东", []string{"xiao", "dong"}},
	{"晓明", []string{"xiao", "ming"}}, {"志伟", []string{"zhi", "wei"}}, {"俊熙", []string{"jun", "xi"}},
	{"博文", []string{"bo", "wen"}}, {"一鸣", []string{"yi", "ming"}}, {"天宇", []string{"tian", "yu"}},
	{"明轩", []string{"ming", "xuan"}}, {"子豪", []string{"zi", "hao"}}, {"梓轩", []string{"zi", "xuan"}},
	{"思远", []string{"si", "yuan"}}, {"嘉豪", []string{"jia", "hao"}}, {"晨阳", []string{"chen", "yang"}},
	{"宇航", []string{"yu", "hang"}}, {"鹏飞", []string{"peng", "fei"}}, {"振华", []string{"zhen", "hua"}},
	{"立新", []string{"li", "xin"}}, {"永强", []string{"yong", "qiang"}}, {"建军", []string{"jian", "jun"}},
	{"伟强", []string{"wei", "qiang"}}, {"海波", []string{"hai", "bo"}}, {"家豪", []string{"jia", "hao"}},
	{"鑫磊", []string{"xin", "lei"}}, {"泽宇", []string{"ze", "yu"}}, {"睿泽", []string{"rui", "ze"}},
	{"子墨", []string{"zi", "mo"}}, {"文博", []string{"wen", "bo"}}, {"俊豪", []string{"jun", "hao"}},
	{"浩轩", []string{"hao", "xuan"}}, {"志明", []string{"zhi", "ming"}}, {"少华", []string{"shao", "hua"}},
	{"春雷", []string{"chun", "lei"}}, {"德明", []string{"de", "ming"}}, {"建平", []string{"jian", "ping"}},
	{"卫东", []string{"wei", "dong"}}, {"金龙", []string{"jin", "long"}}, {"志刚", []string{"zhi", "gang"}},
	{"旭东", []string{"xu", "dong"}}, {"小龙", []string{"xiao", "long"}}, {"俊宇", []string{"jun", "yu"}},
	{"明辉", []string{"ming", "hui"}}, {"建伟", []string{"jian", "wei"}}, {"宏伟", []string{"hong", "wei"}},
	{"子健", []string{"zi", "jian"}}, {"家乐", []string{"jia", "le"}},
}

var maleGiven1 = []givenName{
	{"伟", []string{"wei"}}, {"强", []string{"qiang"}}, {"磊", []string{"lei"}}, {"军", []string{"jun"}},
	{"洋", []string{"yang"}}, {"勇", []string{"yong"}}, {"杰", []string{"jie"}}, {"涛", []string{"tao"}},
	{"明", []string{"ming"}}, {"超", []string{"chao"}}, {"刚", []string{"gang"}}, {"平", []string{"ping"}},
	{"辉", []string{"hui"}}, {"鹏", []string{"peng"}}, {"华", []string{"hua"}}, {"飞", []string{"fei"}},
	{"鑫", []string{"xin"}}, {"波", []string{"bo"}}, {"斌", []string{"bin"}}, {"宇", []string{"yu"}},
	{"浩", []string{"hao"}}, {"凯", []string{"kai"}}, {"健", []string{"jian"}}, {"俊", []string{"jun"}},
	{"帆", []string{"fan"}}, {"亮", []string{"liang"}}, {"峰", []string{"feng"}}, {"毅", []string{"yi"}},
}

// English names appear in Taobao nicks such as tb_lily88.
var (
	englishFemale = []string{"lily", "lucy", "amy", "coco", "vivian", "cherry", "grace", "sunny", "momo", "yoyo", "nana",
		"kiki", "candy", "jenny", "tina", "ivy", "eva", "zoe", "mia", "bella", "echo", "summer", "daisy", "cici"}
	englishMale = []string{"kevin", "jack", "tony", "leo", "eric", "jason", "alex", "david", "peter", "sam", "max",
		"ryan", "allen", "frank", "henry", "jerry", "tom", "mike", "bruce", "lucas"}
)

// Parts of the playful Chinese nicks (爱吃西瓜的兔子).
var (
	nickFood   = []string{"西瓜", "土豆", "橙子", "鱼丸", "奶茶", "饺子", "火锅", "草莓", "芒果", "甜甜圈", "小龙虾", "棉花糖"}
	nickAnimal = []string{"猫咪", "兔子", "熊猫", "小鹿", "柯基", "仓鼠", "企鹅", "考拉", "松鼠", "小狐狸"}
	nickMood   = []string{"快乐的", "懒懒的", "胖胖的", "努力的", "温柔的", "不吃香菜的", "会飞的", "睡不醒的", "元气满满的"}
	nickThing  = []string{"星星", "月亮", "蘑菇", "柠檬", "云朵", "橘子汽水", "向日葵", "小太阳"}
)

type province struct {
	name   string
	pop    float64 // 2020 census, 10k people
	cities []city
	remote bool // 偏远地区: shipping is charged
}

type city struct {
	name string
	w    float64
}

// provinces are the 31 mainland provincial divisions, weighted by population;
// for the four municipalities the city is the municipality itself.
var provinces = []province{
	{"广东省", 12601, []city{{"广州市", 3}, {"深圳市", 3}, {"东莞市", 2}, {"佛山市", 2}}, false},
	{"山东省", 10153, []city{{"济南市", 3}, {"青岛市", 3}, {"烟台市", 2}, {"潍坊市", 2}}, false},
	{"河南省", 9937, []city{{"郑州市", 4}, {"洛阳市", 2}, {"南阳市", 2}}, false},
	{"江苏省", 8475, []city{{"南京市", 3}, {"苏州市", 3}, {"无锡市", 2}, {"徐州市", 2}}, false},
	{"四川省", 8367, []city{{"成都市", 6}, {"绵阳市", 1.5}, {"南充市", 1.5}}, false},
	{"河北省", 7461, []city{{"石家庄市", 3}, {"保定市", 3}, {"唐山市", 2}}, false},
	{"湖南省", 6644, []city{{"长沙市", 4}, {"株洲市", 1.5}, {"岳阳市", 1.5}}, false},
	{"浙江省", 6457, []city{{"杭州市", 4}, {"宁波市", 3}, {"温州市", 3}, {"金华市", 2}}, false},
	{"安徽省", 6103, []city{{"合肥市", 4}, {"芜湖市", 1.5}, {"阜阳市", 2}}, false},
	{"湖北省", 5775, []city{{"武汉市", 5}, {"宜昌市", 1.5}, {"襄阳市", 1.5}}, false},
	{"广西壮族自治区", 5013, []city{{"南宁市", 3}, {"柳州市", 1.5}, {"桂林市", 1.5}}, false},
	{"云南省", 4721, []city{{"昆明市", 4}, {"曲靖市", 2}, {"玉溪市", 1}}, false},
	{"江西省", 4519, []city{{"南昌市", 3}, {"赣州市", 3}, {"九江市", 1.5}}, false},
	{"辽宁省", 4259, []city{{"沈阳市", 3}, {"大连市", 3}, {"鞍山市", 1}}, false},
	{"福建省", 4154, []city{{"福州市", 3}, {"厦门市", 2.5}, {"泉州市", 3}}, false},
	{"陕西省", 3953, []city{{"西安市", 5}, {"咸阳市", 1.5}, {"宝鸡市", 1}}, false},
	{"贵州省", 3856, []city{{"贵阳市", 3}, {"遵义市", 2.5}}, false},
	{"山西省", 3492, []city{{"太原市", 3}, {"大同市", 1.5}, {"运城市", 2}}, false},
	{"重庆市", 3205, []city{{"重庆市", 1}}, false},
	{"黑龙江省", 3185, []city{{"哈尔滨市", 4}, {"大庆市", 1.5}, {"齐齐哈尔市", 1.5}}, false},
	{"新疆维吾尔自治区", 2585, []city{{"乌鲁木齐市", 3}, {"克拉玛依市", 1}, {"昌吉回族自治州", 1}}, true},
	{"甘肃省", 2502, []city{{"兰州市", 3}, {"天水市", 1.5}, {"酒泉市", 1}}, true},
	{"上海市", 2487, []city{{"上海市", 1}}, false},
	{"内蒙古自治区", 2405, []city{{"呼和浩特市", 2}, {"包头市", 2}, {"鄂尔多斯市", 1.5}}, true},
	{"吉林省", 2407, []city{{"长春市", 4}, {"吉林市", 2}, {"四平市", 1}}, false},
	{"北京市", 2189, []city{{"北京市", 1}}, false},
	{"天津市", 1387, []city{{"天津市", 1}}, false},
	{"海南省", 1008, []city{{"海口市", 2}, {"三亚市", 1}}, false},
	{"宁夏回族自治区", 720, []city{{"银川市", 3}, {"石嘴山市", 1}}, true},
	{"青海省", 592, []city{{"西宁市", 3}, {"海东市", 1}}, true},
	{"西藏自治区", 365, []city{{"拉萨市", 3}, {"日喀则市", 1}}, true},
}

var (
	streets   = []string{"人民路", "解放路", "中山路", "建设路", "和平路", "新华路", "长江路", "黄河路", "文化路", "青年路", "胜利路", "朝阳路", "花园路", "学府路", "科技路", "创业大道", "滨江大道", "世纪大道", "东风路", "迎宾路"}
	compounds = []string{"阳光花园", "锦绣家园", "幸福里小区", "翡翠城", "金色港湾", "碧水湾", "万家苑", "世纪城", "香樟园", "东方明珠苑", "书香门第", "梧桐苑", "滨江花园", "紫荆花园"}
	offices   = []string{"国际大厦", "财富中心", "科技园", "创业园", "金融中心", "万达广场写字楼"}
)

type prefix struct {
	p string
	w float64
}

// mobilePrefixes are real mainland mobile number segments.
var mobilePrefixes = []prefix{
	{"138", 6}, {"139", 6}, {"137", 4}, {"136", 4}, {"135", 4}, {"134", 2}, {"130", 3}, {"131", 3},
	{"132", 3}, {"133", 2}, {"150", 3}, {"151", 3}, {"152", 3}, {"153", 2}, {"155", 2}, {"156", 3},
	{"157", 2}, {"158", 3}, {"159", 3}, {"166", 2}, {"147", 1}, {"170", 0.5}, {"173", 2}, {"175", 1},
	{"176", 2}, {"177", 2}, {"178", 2}, {"180", 2}, {"181", 2}, {"182", 2}, {"183", 2}, {"184", 1},
	{"185", 2}, {"186", 3}, {"187", 3}, {"188", 2}, {"189", 2}, {"191", 1}, {"193", 1}, {"195", 1},
	{"198", 2}, {"199", 2},
}

var emailDomains = []prefix{
	{"qq.com", 45}, {"163.com", 20}, {"126.com", 8}, {"gmail.com", 6}, {"sina.com", 4}, {"foxmail.com", 5},
	{"outlook.com", 5}, {"hotmail.com", 3}, {"icloud.com", 4},
}

// persona is a kind of shopper: it sets gender, age and what they buy.
type persona struct {
	tag      string // profile tag; tagMale when the shopper is a man, if set
	tagMale  string
	share    float64
	female   float64
	ageLo    int
	ageHi    int
	interest [numCats]float64
}

var personas = []persona{
	{"宝妈", "宝爸", 14, 0.85, 24, 40, [numCats]float64{catBaby: 10, catCare: 4, catFood: 3, catHome: 2, catBeauty: 2, catApparel: 2, catStationery: 1}},
	{"精致白领", "", 16, 0.8, 22, 38, [numCats]float64{catBeauty: 10, catApparel: 6, catCare: 3, catFood: 2, catHome: 2, catSport: 1}},
	{"学生党", "", 12, 0.6, 18, 23, [numCats]float64{catStationery: 6, catDigital: 5, catFood: 5, catApparel: 4, catBeauty: 3, catCare: 2, catSport: 2}},
	{"数码控", "", 10, 0.15, 18, 45, [numCats]float64{catDigital: 10, catSport: 2, catStationery: 2, catFood: 2, catHome: 1, catCare: 1}},
	{"健身达人", "", 8, 0.45, 20, 45, [numCats]float64{catSport: 10, catApparel: 4, catFood: 4, catCare: 2, catDigital: 1}},
	{"铲屎官", "", 10, 0.7, 20, 45, [numCats]float64{catPet: 10, catHome: 3, catCare: 2, catFood: 2}},
	{"居家达人", "", 14, 0.7, 28, 60, [numCats]float64{catHome: 10, catCare: 5, catFood: 4, catBaby: 1, catApparel: 1}},
	{"吃货", "", 10, 0.55, 18, 50, [numCats]float64{catFood: 10, catHome: 2, catCare: 1, catBeauty: 1}},
	{"", "", 6, 0.6, 18, 60, [numCats]float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
}

// Channels, and how their share of new customers moves over the two years:
// Douyin live commerce grows at the others' expense.
const (
	chTaobao = iota
	chTmall
	chDouyin
	chWechat
	numChannels
)

var channelNames = [numChannels]string{"taobao", "tmall", "douyin", "wechat_mini"}
var channelShareStart = [numChannels]float64{0.39, 0.27, 0.16, 0.18}
var channelShareEnd = [numChannels]float64{0.33, 0.25, 0.28, 0.14}
