package app

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// The words of the demo's tickets. In the texts, {p} is the product the
// ticket is about and {o} the order's number, as the customer knows it.

// demoText is what a ticket of one kind says: the customer's subject and
// message, the agent's reply and internal note, and how it was settled
// (for a complaint: its cause, the solution proposed and the follow-up's
// outcome).
type demoText struct {
	subject, body, reply, note, solution string
	cause, outcome                       string
}

func (d demoText) fill(s string, o demoOrder) string {
	num := o.number
	if num == "" {
		num = "（未提供）"
	}
	return strings.NewReplacer("{p}", o.product, "{o}", num).Replace(s)
}

var demoTexts = map[string][]demoText{
	"consultation": {
		{subject: "咨询：{p} 现在有货吗？", body: "想买{p}，请问现在有现货吗？今天下单什么时候能发？", reply: "亲，{p}有现货的，下午 4 点前付款当天就能发出哦～", solution: "已告知库存和发货时间，客户已下单"},
		{subject: "{p} 适合送长辈吗？", body: "想买{p}送给爸妈，适合老人用吗？有没有礼盒包装？", reply: "适合的～下单时备注“礼盒”，我们免费包装并附贺卡。", solution: "已推荐礼盒装，客户满意"},
		{subject: "{p} 和同系列有什么区别？", body: "{p}和同系列的另一款看着差不多，有什么区别？哪个更适合我？", reply: "两款主要区别在规格和适用场景，根据您的描述更推荐{p}，性价比更高。", solution: "已解答差异并给出推荐"},
		{subject: "下单 {p} 能用店铺优惠券吗？", body: "领了满 199 减 20 的券，买{p}能用吗？能和会员积分一起用吗？", reply: "可以叠加使用的：先用优惠券，再用积分抵扣，100 积分抵 1 元。", solution: "已说明优惠规则"},
	},
	"order": {
		{subject: "订单 {o} 想修改收货地址", body: "刚下的单地址填错了，麻烦改成公司地址，谢谢！", reply: "已为您修改收货地址，请在订单详情里核对一下哦。", solution: "地址已修改，仓库已同步"},
		{subject: "订单 {o} 能和上一单合并发货吗？", body: "前后下了两单，能不能一起发，省得取两次快递。", reply: "可以的，已通知仓库为您合并打包发出。", solution: "已合并发货"},
		{subject: "订单 {o} 想加购一件一起发", body: "还想加一件{p}，能和这单一起发吗？", reply: "您先下单，我们备注合并，仓库会一起打包。", solution: "加购订单已合并"},
	},
	"payment": {
		{subject: "订单 {o} 付款失败却扣了款", body: "支付时提示失败，但银行卡已经扣钱了，是不是重复扣款？", reply: "您好，我们已核实：这笔款项支付平台会在 1-3 个工作日内自动退回，已为您登记跟进。", solution: "支付平台已退回重复扣款"},
		{subject: "订单 {o} 的优惠券没有抵扣", body: "结算页显示能用券，付款时却没减，多付了 20 元。", reply: "抱歉给您带来不便，差价已为您申请退回。", solution: "差价 20 元已退回"},
		{subject: "订单 {o} 可以开发票吗？", body: "需要开电子发票，抬头是公司名称。", reply: "您好，电子发票会在确认收货后 48 小时内发送到您的邮箱。", solution: "电子发票已开具并发送"},
	},
	"delivery": {
		{subject: "订单 {o} 三天没有物流更新", body: "物流信息三天没动了，是不是丢件了？", reply: "亲，已为您查询物流，包裹正在中转途中，预计 1-2 天送达，有异常我们第一时间处理。", solution: "包裹已送达，客户确认收货"},
		{subject: "快递显示已签收但没收到（订单 {o}）", body: "物流显示昨天已签收，但我没有收到，家里也没人代收。", reply: "非常抱歉，已联系快递员核实投递位置，今天内给您答复。", solution: "快递员放在了驿站，客户已取件"},
		{subject: "订单 {o} 什么时候发货？", body: "下单两天了还没发货，着急用。", reply: "抱歉久等，您的包裹今天已经发出，单号已更新在订单里。", solution: "已发货并告知单号"},
	},
	"return": {
		{subject: "{p} 不合适，申请退货", body: "收到的{p}不太适合我，还没拆封，想退货。", reply: "好的，七天无理由退货已为您登记，退货地址已发到订单留言里。", solution: "退货已签收，退款已原路退回"},
		{subject: "{p} 七天无理由退货", body: "{p}买重了，申请退一件。", reply: "已同意退货申请，请在 3 天内寄回，签收后 1-3 个工作日退款。", solution: "退货完成"},
	},
	"exchange": {
		{subject: "{p} 规格不对，想换货", body: "买错规格了，{p}想换大一号/另一款，可以吗？", reply: "可以的，换货已为您登记，寄回运费由我们承担。", solution: "已换新发出，客户收到"},
		{subject: "{p} 发错颜色，申请换货", body: "下单的颜色和收到的不一样。", reply: "非常抱歉发错了，已安排换货，新的今天发出，原件请用我们提供的单号寄回。", solution: "已换货"},
	},
	"repair": {
		{subject: "{p} 用了两周出现故障", body: "{p}用了两周就坏了，能保修吗？", reply: "很抱歉给您添麻烦，请拍一段故障视频给我们，确认后免费维修或更换。", solution: "已安排免费维修，修好寄回"},
		{subject: "{p} 配件损坏，能否维修", body: "{p}的配件断了，主体没问题，能单独补一个吗？", reply: "可以的，配件已为您免费补寄。", solution: "配件已补寄"},
	},
	"refund": {
		{subject: "订单 {o} 的退款什么时候到账？", body: "申请退款好几天了，钱还没回来。", reply: "您好，您订单的退款已经提交，预计 1-3 个工作日原路退回，请留意支付账户。", solution: "退款已到账，客户确认"},
		{subject: "订单 {o} 退货已寄回，退款还没到", body: "退货快递显示已签收两天了，退款一直没处理。", reply: "抱歉久等，仓库已确认收货，退款今天为您处理。", solution: "退款已处理"},
		{subject: "订单 {o} 申请仅退款", body: "商品少发了一件，申请退这一件的钱。", reply: "已核实少发，差额已为您申请退款。", solution: "少发部分已退款"},
	},
	"complaint": {
		{cause: "product", subject: "收到的 {p} 有破损", body: "打开包裹发现{p}破了，太影响心情了，要求给个说法！", reply: "非常抱歉给您带来不好的体验！我们已受理您的投诉，24 小时内给您处理方案。",
			note: "客户提供了照片，外包装完好、内件破损，判断为出厂质检问题", solution: "补发新品并赠送小样，破损件无需寄回", outcome: "客户已收到补发，表示满意"},
		{cause: "logistics", subject: "快递把 {p} 丢在门口被人拿走了", body: "快递员没打电话就把包裹放门口，结果丢了，订单 {o}。", reply: "非常抱歉！我们已受理，会先为您处理再向快递公司追责。",
			note: "快递公司承认未按约投递", solution: "先行为客户补发，并向快递公司索赔", outcome: "客户收到补发，认可处理速度"},
		{cause: "payment", subject: "订单 {o} 被多收了运费", body: "满包邮的订单还收了我 10 元运费。", reply: "抱歉给您添麻烦了，我们已受理，马上核实。",
			note: "活动配置错误导致满额包邮未生效", solution: "退还多收运费并致歉，修正活动配置", outcome: "运费已退回，客户接受道歉"},
		{cause: "after_sale", subject: "退款申请一周没人处理（订单 {o}）", body: "申请退款一周了，客服一直说在处理，到底什么时候退？", reply: "非常抱歉让您久等，我们已升级处理您的问题。",
			note: "售后积压，退款审核超时", solution: "当天完成退款并赠送 20 元无门槛券致歉", outcome: "客户收到退款和优惠券，情绪平复"},
		{cause: "information", subject: "详情页写的规格和收到的 {p} 不一致", body: "详情页写的规格和收到的{p}对不上，这是虚假宣传！", reply: "非常抱歉，我们已受理并核对详情页信息。",
			note: "详情页规格参数填写错误", solution: "修正详情页描述，为客户办理退货退款并承担运费", outcome: "客户认可处理，详情页已修改"},
		{cause: "expectation", subject: "{p} 实物和图片差距太大", body: "{p}实物颜色和图片差很多，感觉被骗了。", reply: "非常理解您的心情，我们已受理，马上为您处理。",
			note: "拍摄光线导致色差，商品本身无质量问题", solution: "解释色差原因，提供退货或部分退款两种方案", outcome: "客户选择部分退款，表示理解"},
	},
}

// demoNotes are internal notes agents leave on a ticket.
var demoNotes = []string{
	"老客户，近一年多次复购，沟通注意语气。",
	"已与仓库确认库存和发货时间。",
	"客户情绪较急，优先处理。",
	"已在群里同步给售后主管。",
	"客户要求电话沟通，已约明天上午回电。",
}

// csatComments are the comments of CSAT answers by score.
var csatComments = map[int][]string{
	5: {"客服很耐心，问题很快解决了！", "响应快，态度好，点赞", "处理得很专业，下次还来", ""},
	4: {"整体满意，就是等的时间有点长", "问题解决了，谢谢", ""},
	3: {"还行吧，来回沟通了好几次", "解决了，但过程有点慢"},
	2: {"等了很久才有人回复", "问题只解决了一半"},
	1: {"处理太慢了，很失望", "客服一直推脱"},
}

// detractorOutcomes are what the care team's calls to detractors came to.
var detractorOutcomes = []string{
	"已电话致歉，客户接受 20 元优惠券，表示愿意再试试",
	"了解到是物流慢导致不满，已反馈仓库改用顺丰",
	"客户对售后速度不满，已说明改进措施，客户表示理解",
	"多次致电未接通，已发短信致歉并附优惠券",
}

// npsComment is what a customer who gave score writes.
func npsComment(score int, rng *rand.Rand) string {
	var cs []string
	switch {
	case score >= 9:
		cs = []string{"东西好，客服也好，已经推荐给同事了", "一直在这家买，放心", "发货快，品质稳定", ""}
	case score >= 7:
		cs = []string{"还不错，价格再实惠点就更好了", "商品可以，物流一般", ""}
	default:
		cs = []string{"上次售后处理太慢", "质量不如以前了", "快递经常延误", fmt.Sprintf("给 %d 分，包装需要改进", score)}
	}
	return cs[rng.IntN(len(cs))]
}
