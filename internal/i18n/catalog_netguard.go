package i18n

import "maps"

// The strings of the outbound network guard on the channels page: the
// switch that lets a channel's provider be on the shop's own network.
func init() {
	maps.Copy(zhCN, netguardZH)
	maps.Copy(en, netguardEN)
}

var netguardZH = map[string]string{
	"channels.allow_private":      "允许内网地址",
	"channels.private_refused":    "设置未保存：该地址是本机、内网、链路本地或运营商级 NAT 地址，系统不会连接。如网关部署在您自己的内网，请勾选“允许内网地址”；云服务器元数据地址（169.254.x）始终禁止。",
	"channels.allow_private_hint": "默认情况下，系统不会连接本机、内网（10.x、172.16–31.x、192.168.x）或运营商级 NAT 地址，以免渠道设置被用来访问服务器所在网络。仅当网关部署在您自己的内网时勾选；云服务器的元数据地址（169.254.x）始终禁止。此项更改会记入审计日志。",
}

var netguardEN = map[string]string{
	"channels.allow_private":      "Allow private network addresses",
	"channels.private_refused":    "Settings not saved: that address is loopback, private, link-local or carrier-grade NAT, and Guanxi does not connect there. If the gateway runs on your own network, tick \"Allow private network addresses\"; the cloud metadata address (169.254.x) is always refused.",
	"channels.allow_private_hint": "By default Guanxi does not connect to loopback, private (10.x, 172.16–31.x, 192.168.x) or carrier-grade NAT addresses, so that channel settings cannot be used to reach the server's own network. Tick this only when the gateway runs on your own network; link-local addresses such as the cloud metadata service (169.254.x) are always refused. Changing it is recorded in the audit log.",
}
