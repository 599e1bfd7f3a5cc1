package ui

import "net/http"

// Mux is where Register mounts the pages: an *http.ServeMux, or a test's
// recorder that lists every route to check who may use it.
type Mux interface {
	Handle(pattern string, handler http.Handler)
}

// Register mounts the pages on mux. Each route names who may use it:
//
//	public  anyone (a signed-in user is recognised but not required)
//	user    a signed-in user; POSTs must carry the session's CSRF token
//	member  a user with any role in the shop named by {shop}, checked with
//	        auth.RoleIn on every request; others get 403 whether or not the
//	        shop exists
//
// Every response carries the security headers (CSP with scripts from 'self'
// only, nosniff, Referrer-Policy, frame-ancestors 'none'), and every POST is
// refused when the browser says it comes from another origin.
func (u *UI) Register(mux Mux) {
	mux.Handle("GET /static/", u.secure(http.HandlerFunc(u.serveStatic)))

	mux.Handle("GET /login", u.public(u.loginShow))
	mux.Handle("POST /login", u.public(u.loginSubmit))
	mux.Handle("GET /login/totp", u.public(u.loginTOTPShow))
	mux.Handle("POST /login/totp", u.public(u.loginTOTPSubmit))
	mux.Handle("POST /logout", u.user(u.logoutSubmit))
	mux.Handle("POST /settings/locale", u.user(u.localeSave))
	mux.Handle("GET /settings/security", u.user(u.securityShow))
	mux.Handle("POST /settings/totp", u.user(u.totpEnable))
	mux.Handle("POST /settings/totp/disable", u.user(u.totpDisable))
	mux.Handle("GET /{$}", u.user(u.homeShow))
	// Unsubscribe links in campaign messages: the token is the credential.
	mux.Handle("GET /u/{token}", u.public(u.unsubscribeShow))
	mux.Handle("POST /u/{token}", u.public(u.unsubscribeSubmit))
	// The public help centre of each shop (kb_public.go).
	mux.Handle("GET /kb/{shopcode}", u.public(u.kbHome))
	mux.Handle("GET /kb/{shopcode}/a/{id}", u.public(u.kbArticle))
	mux.Handle("POST /kb/{shopcode}/a/{id}/vote", u.public(u.kbVote))
	// Survey links: the signed token is the credential.
	mux.Handle("GET /f/{token}", u.public(u.surveyFormShow))
	mux.Handle("POST /f/{token}", u.public(u.surveyFormSubmit))

	mux.Handle("GET /s/{shop}/{$}", u.member(u.shopHome))
	mux.Handle("GET /s/{shop}/customers", u.member(u.customerList))
	mux.Handle("GET /s/{shop}/customers/{id}", u.member(u.customerShow))
	mux.Handle("POST /s/{shop}/customers/{id}", u.member(u.customerSave))
	mux.Handle("POST /s/{shop}/customers/{id}/reveal", u.member(u.customerReveal))
	mux.Handle("POST /s/{shop}/customers/{id}/notes", u.member(u.customerNote))
	mux.Handle("POST /s/{shop}/customers/{id}/export", u.member(u.customerExport)) // admin
	mux.Handle("POST /s/{shop}/customers/{id}/erase", u.member(u.customerErase))   // admin
	mux.Handle("GET /s/{shop}/privacy", u.member(u.privacySettings))               // admin
	mux.Handle("POST /s/{shop}/privacy", u.member(u.privacySave))                  // admin
	mux.Handle("GET /s/{shop}/duplicates", u.member(u.duplicateList))
	mux.Handle("GET /s/{shop}/duplicates/preview", u.member(u.duplicatePreview))
	mux.Handle("POST /s/{shop}/duplicates/merge", u.member(u.duplicateMerge))     // admin, agent
	mux.Handle("POST /s/{shop}/duplicates/bulk", u.member(u.duplicateBulk))       // admin, agent
	mux.Handle("POST /s/{shop}/duplicates/dismiss", u.member(u.duplicateDismiss)) // admin, agent
	mux.Handle("POST /s/{shop}/merges/{id}/undo", u.member(u.mergeUndo))          // admin, agent
	mux.Handle("GET /s/{shop}/audit", u.member(u.auditList))
	mux.Handle("GET /s/{shop}/members", u.member(u.memberList))
	mux.Handle("POST /s/{shop}/members", u.member(u.memberSave))
	mux.Handle("GET /s/{shop}/dashboard", u.member(u.dashboardShow))
	mux.Handle("GET /s/{shop}/dashboard/customers", u.member(u.dashboardCustomers))
	mux.Handle("GET /s/{shop}/dashboard/retention", u.member(u.dashboardRetention))
	mux.Handle("GET /s/{shop}/dashboard/geography", u.member(u.dashboardGeography))
	mux.Handle("GET /s/{shop}/dashboard/churn", u.member(u.dashboardChurn))
	mux.Handle("GET /s/{shop}/dashboard/{chart}", u.member(u.dashboardCSV))
	// Every member; an agent or care user sees the teams and their own row.
	mux.Handle("GET /s/{shop}/scorecard", u.member(u.scorecardShow))
	mux.Handle("GET /s/{shop}/scorecard/csv", u.member(u.scorecardCSV))
	mux.Handle("GET /s/{shop}/segments", u.member(u.segmentList))
	mux.Handle("GET /s/{shop}/segments/new", u.member(u.segmentNew)) // admin, care, analyst
	mux.Handle("POST /s/{shop}/segments", u.member(u.segmentCreate)) // admin, care, analyst
	mux.Handle("POST /s/{shop}/segments/count", u.member(u.segmentCount))
	mux.Handle("GET /s/{shop}/segments/{id}", u.member(u.segmentShow))
	mux.Handle("POST /s/{shop}/segments/{id}", u.member(u.segmentUpdate))        // admin, care, analyst
	mux.Handle("POST /s/{shop}/segments/{id}/delete", u.member(u.segmentDelete)) // admin, care, analyst
	mux.Handle("GET /s/{shop}/campaigns", u.member(u.campaignList))
	mux.Handle("GET /s/{shop}/campaigns/new", u.member(u.campaignNew)) // admin, care
	mux.Handle("POST /s/{shop}/campaigns", u.member(u.campaignCreate)) // admin, care
	mux.Handle("GET /s/{shop}/campaigns/matrix", u.member(u.campaignMatrix))
	mux.Handle("GET /s/{shop}/campaigns/{id}", u.member(u.campaignShow))
	mux.Handle("POST /s/{shop}/campaigns/{id}", u.member(u.campaignUpdate))          // admin, care
	mux.Handle("POST /s/{shop}/campaigns/{id}/{action}", u.member(u.campaignAction)) // admin, care
	mux.Handle("GET /s/{shop}/care", u.member(u.careList))
	mux.Handle("GET /s/{shop}/care/new", u.member(u.careNew)) // admin, care
	mux.Handle("POST /s/{shop}/care", u.member(u.careCreate)) // admin, care
	mux.Handle("GET /s/{shop}/care/{id}", u.member(u.careShow))
	mux.Handle("POST /s/{shop}/care/{id}", u.member(u.careUpdate))        // admin, care
	mux.Handle("POST /s/{shop}/care/{id}/run", u.member(u.careRun))       // admin, care
	mux.Handle("POST /s/{shop}/care/{id}/delete", u.member(u.careDelete)) // admin, care
	mux.Handle("GET /s/{shop}/channels", u.member(u.channelSettings))
	mux.Handle("POST /s/{shop}/channels", u.member(u.channelSave))      // admin
	mux.Handle("POST /s/{shop}/contact-policy", u.member(u.policySave)) // admin
	mux.Handle("GET /s/{shop}/loyalty", u.member(u.loyaltyShow))
	mux.Handle("POST /s/{shop}/loyalty", u.member(u.loyaltySave))                // admin
	mux.Handle("POST /s/{shop}/customers/{id}/points", u.member(u.pointsAdjust)) // admin, agent
	mux.Handle("GET /s/{shop}/coupons", u.member(u.couponList))
	mux.Handle("POST /s/{shop}/coupons", u.member(u.couponCreate))               // admin, care
	mux.Handle("POST /s/{shop}/coupons/{id}/archive", u.member(u.couponArchive)) // admin, care
	mux.Handle("POST /s/{shop}/coupons/{id}/issue", u.member(u.couponIssue))     // admin, care
	mux.Handle("GET /s/{shop}/kb", u.member(u.kbList))
	mux.Handle("GET /s/{shop}/kb/suggest", u.member(u.kbSuggest))
	mux.Handle("GET /s/{shop}/kb/new", u.member(u.kbNew)) // admin, agent, care
	mux.Handle("POST /s/{shop}/kb", u.member(u.kbCreate)) // admin, agent, care
	mux.Handle("GET /s/{shop}/kb/categories", u.member(u.kbCategories))
	mux.Handle("POST /s/{shop}/kb/categories", u.member(u.kbCategorySave))               // admin, agent, care
	mux.Handle("POST /s/{shop}/kb/categories/{id}/delete", u.member(u.kbCategoryDelete)) // admin, agent, care
	mux.Handle("GET /s/{shop}/kb/{id}", u.member(u.kbEdit))
	mux.Handle("POST /s/{shop}/kb/{id}", u.member(u.kbUpdate))        // admin, agent, care
	mux.Handle("POST /s/{shop}/kb/{id}/delete", u.member(u.kbDelete)) // admin, agent, care

	// The service desk (issue 6): tickets, follow-up tasks, settings.
	mux.Handle("GET /s/{shop}/tickets", u.member(u.ticketList))
	mux.Handle("GET /s/{shop}/tickets/new", u.member(u.ticketNew)) // admin, agent, care
	mux.Handle("POST /s/{shop}/tickets", u.member(u.ticketCreate)) // admin, agent, care
	mux.Handle("GET /s/{shop}/tickets/analytics", u.member(u.ticketAnalytics))
	mux.Handle("GET /s/{shop}/tickets/{id}", u.member(u.ticketShow))
	mux.Handle("POST /s/{shop}/tickets/{id}/step", u.member(u.ticketStep))              // admin, agent, care
	mux.Handle("POST /s/{shop}/tickets/{id}/note", u.member(u.ticketNote))              // admin, agent, care
	mux.Handle("POST /s/{shop}/tickets/{id}/reply", u.member(u.ticketReply))            // admin, agent, care
	mux.Handle("POST /s/{shop}/tickets/{id}/assign", u.member(u.ticketAssign))          // admin, agent, care
	mux.Handle("POST /s/{shop}/tickets/{id}/auto-assign", u.member(u.ticketAutoAssign)) // admin, agent, care
	mux.Handle("POST /s/{shop}/tickets/{id}/attachments", u.member(u.ticketAttach))     // admin, agent, care
	mux.Handle("GET /s/{shop}/tickets/{id}/attachments/{aid}", u.member(u.ticketAttachment))
	mux.Handle("GET /s/{shop}/tasks", u.member(u.taskList))
	mux.Handle("POST /s/{shop}/tasks", u.member(u.taskCreate))             // admin, agent, care
	mux.Handle("POST /s/{shop}/tasks/{id}/finish", u.member(u.taskFinish)) // admin, agent, care
	mux.Handle("POST /s/{shop}/tasks/{id}/assign", u.member(u.taskAssign)) // admin, agent, care
	mux.Handle("GET /s/{shop}/service/settings", u.member(u.serviceSettings))
	mux.Handle("POST /s/{shop}/service/sla", u.member(u.slaSave))                     // admin
	mux.Handle("POST /s/{shop}/service/settings", u.member(u.assignModeSave))         // admin
	mux.Handle("POST /s/{shop}/service/skills", u.member(u.skillsSave))               // admin
	mux.Handle("POST /s/{shop}/service/canned", u.member(u.cannedCreate))             // admin, agent, care
	mux.Handle("POST /s/{shop}/service/canned/{id}/delete", u.member(u.cannedDelete)) // admin, agent, care
	mux.Handle("GET /s/{shop}/surveys", u.member(u.surveyList))
	mux.Handle("GET /s/{shop}/surveys/new", u.member(u.surveyNew)) // admin, care
	mux.Handle("POST /s/{shop}/surveys", u.member(u.surveyCreate)) // admin, care
	mux.Handle("GET /s/{shop}/surveys/{id}", u.member(u.surveyShow))
	mux.Handle("POST /s/{shop}/surveys/{id}", u.member(u.surveyUpdate))          // admin, care
	mux.Handle("POST /s/{shop}/surveys/{id}/{action}", u.member(u.surveyAction)) // admin, care
}
