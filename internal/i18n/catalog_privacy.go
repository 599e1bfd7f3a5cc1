package i18n

import "maps"

// The strings of the personal-data tools (issue 7 §6): the customer page's
// consent history, export and erasure, and the retention settings page.
func init() {
	maps.Copy(zhCN, privacyZH)
	maps.Copy(en, privacyEN)
}

var privacyZH = map[string]string{
	"nav.privacy": "隐私与保留",

	"privacy.title":         "个人信息权利",
	"privacy.erased":        "已删除个人信息",
	"privacy.erase_done":    "该客户的个人信息已删除，订单与统计保留不变。",
	"privacy.consent_log":   "授权变更记录",
	"privacy.source":        "来源",
	"privacy.format":        "格式",
	"privacy.format_csv":    "CSV（zip 压缩包）",
	"privacy.reason":        "原因",
	"privacy.reason_hint":   "例如：客户 5 月 5 日来电申请",
	"privacy.export":        "导出该客户的全部数据",
	"privacy.export_hint":   "包含资料、身份、授权、订单、时间线、工单、任务、问卷等；导出会记入审计日志。",
	"privacy.erase":         "删除个人信息…",
	"privacy.erase_hint":    "姓名、电话、邮箱、地址、生日与身份标识将被不可逆地删除或替换为假名，备注、工单与消息的文字将被清除；订单、金额与统计保持不变。同一手机号再次导入将成为新客户。此操作无法撤销，并记入审计日志。",
	"privacy.erase_confirm": "我确认删除该客户的个人信息，且无法撤销",
	"privacy.erase_button":  "删除个人信息",

	"privacy.settings_title":        "数据保留期限",
	"privacy.settings_hint":         "超过期限的数据由每日 03:30 的任务删除，删除数量记入审计日志。",
	"privacy.settings_saved":        "保留期限已保存。",
	"privacy.zero_keeps":            "填 0 表示一直保留。",
	"privacy.sign_in_days":          "登录失败记录（天）",
	"privacy.audit_days":            "审计日志（天，至少 180）",
	"privacy.timeline_days":         "时间线事件（天）",
	"privacy.timeline_kinds":        "适用的时间线事件类型",
	"privacy.campaign_address_days": "营销消息的收件地址（天后清空）",
	"privacy.attachment_days":       "工单附件内容（天后删除）",
	"privacy.inbound_days":          "收到的邮件与聊天原文（天）",
	"privacy.survey_comment_days":   "问卷留言（天）",
	"privacy.inactive_years":        "多年无订单的客户（年后删除个人信息，至少 2）",
	"privacy.save":                  "保存",
	"privacy.kind.note":             "备注",
	"privacy.kind.edit":             "资料修改",
	"privacy.kind.unmerge":          "撤销合并",
	"privacy.kind.survey":           "问卷",
	"privacy.kind.care":             "关怀",
	"privacy.kind.tier":             "等级变化",
	"privacy.kind.merge":            "合并",
	"privacy.kind.consent":          "授权",
}

var privacyEN = map[string]string{
	"nav.privacy": "Privacy & retention",

	"privacy.title":         "Data rights",
	"privacy.erased":        "Personal data erased",
	"privacy.erase_done":    "The customer's personal data was erased; orders and statistics are unchanged.",
	"privacy.consent_log":   "Consent history",
	"privacy.source":        "Source",
	"privacy.format":        "Format",
	"privacy.format_csv":    "CSV (zip)",
	"privacy.reason":        "Reason",
	"privacy.reason_hint":   "e.g. the customer's call of 5 May",
	"privacy.export":        "Export all of this customer's data",
	"privacy.export_hint":   "Profile, identities, consents, orders, timeline, tickets, tasks, surveys and more; the export is audited.",
	"privacy.erase":         "Erase personal data…",
	"privacy.erase_hint":    "Name, phone, e-mail, address, birthday and identities are removed or irreversibly pseudonymised, and the text of notes, tickets and messages is deleted; orders, amounts and statistics stay. The same phone imported again becomes a new customer. This cannot be undone and is audited.",
	"privacy.erase_confirm": "I confirm erasing this customer's personal data, which cannot be undone",
	"privacy.erase_button":  "Erase personal data",

	"privacy.settings_title":        "Data retention",
	"privacy.settings_hint":         "Data past its limit is removed by a daily job at 03:30; the counts go to the audit log.",
	"privacy.settings_saved":        "Retention limits saved.",
	"privacy.zero_keeps":            "0 keeps the data.",
	"privacy.sign_in_days":          "Failed sign-ins (days)",
	"privacy.audit_days":            "Audit log (days, at least 180)",
	"privacy.timeline_days":         "Timeline events (days)",
	"privacy.timeline_kinds":        "Timeline kinds the limit applies to",
	"privacy.campaign_address_days": "Campaign message addresses (blanked after days)",
	"privacy.attachment_days":       "Ticket attachment contents (deleted after days)",
	"privacy.inbound_days":          "Received mail and chat text (days)",
	"privacy.survey_comment_days":   "Survey comments (days)",
	"privacy.inactive_years":        "Customers without an order (personal data erased after years, at least 2)",
	"privacy.save":                  "Save",
	"privacy.kind.note":             "Notes",
	"privacy.kind.edit":             "Profile edits",
	"privacy.kind.unmerge":          "Merges undone",
	"privacy.kind.survey":           "Surveys",
	"privacy.kind.care":             "Care",
	"privacy.kind.tier":             "Tier changes",
	"privacy.kind.merge":            "Merges",
	"privacy.kind.consent":          "Consents",
}
