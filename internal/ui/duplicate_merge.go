package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/customer"
)

// maxBulk is the most pairs one bulk merge takes.
const maxBulk = 200

// duplicateMerge merges one customer into another from the preview's form,
// which names both versions: a merge on a stale preview is refused (409)
// and nothing moves. Then it shows the survivor, whose page lists the merge
// with its Undo button.
func (u *UI) duplicateMerge(w http.ResponseWriter, r *http.Request, rq *request) {
	if !canMerge(rq.role) {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "your role in this shop may not merge customers"))
		return
	}
	var nums [4]int64
	for i, k := range []string{"survivor", "merged", "survivor_version", "merged_version"} {
		n, err := strconv.ParseInt(r.PostFormValue(k), 10, 64)
		if err != nil || n <= 0 {
			u.fail(w, r, rq, guanxi.Errorf(guanxi.EINVALID, "the merge form lacks %s", k))
			return
		}
		nums[i] = n
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if len([]rune(reason)) > 200 {
		reason = string([]rune(reason)[:200])
	}
	res, err := u.cfg.Customers.Merge(r.Context(), rq.shop.ID, customer.MergeRequest{SurvivorID: nums[0], MergedID: nums[1],
		SurvivorVersion: nums[2], MergedVersion: nums[3], Reason: reason, Source: "ui", Actor: rq.sess.User.ID}, u.clock.Now())
	if err != nil {
		u.failSaying(w, r, rq, err, "merge.refused")
		return
	}
	u.log.Info("customers merged", "shop", rq.shop.Code, "survivor", nums[0], "merged", nums[1], "merge", res.MergeID, "user", rq.sess.User.Username)
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/customers/"+strconv.FormatInt(nums[0], 10)+"?saved=merged#merges", http.StatusSeeOther)
}

// duplicateBulk merges the checked candidates of the list, each pair in
// its own transaction ("survivor:version:merged:version" per checkbox,
// with the versions the list showed), and comes back to the list saying
// how many merged and how many were refused (changed or merged meanwhile).
func (u *UI) duplicateBulk(w http.ResponseWriter, r *http.Request, rq *request) {
	if !canMerge(rq.role) {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "your role in this shop may not merge customers"))
		return
	}
	if err := r.ParseForm(); err != nil {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EINVALID, "the form could not be read"))
		return
	}
	pairs := r.PostForm["pair"]
	if len(pairs) == 0 || len(pairs) > maxBulk {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EINVALID, "choose between 1 and %d pairs to merge", maxBulk))
		return
	}
	reqs := make([]customer.MergeRequest, 0, len(pairs))
	for _, p := range pairs {
		var n [4]int64
		parts := strings.Split(p, ":")
		ok := len(parts) == 4
		for i := 0; ok && i < 4; i++ {
			v, err := strconv.ParseInt(parts[i], 10, 64)
			ok = err == nil && v > 0
			n[i] = v
		}
		if !ok {
			u.fail(w, r, rq, guanxi.Errorf(guanxi.EINVALID, "bad pair %q", p))
			return
		}
		reqs = append(reqs, customer.MergeRequest{SurvivorID: n[0], SurvivorVersion: n[1], MergedID: n[2], MergedVersion: n[3],
			Source: "ui", Actor: rq.sess.User.ID})
	}
	merged, failed := 0, 0
	for _, res := range u.cfg.Customers.MergeMany(r.Context(), rq.shop.ID, reqs, u.clock.Now()) {
		if res.Err != nil {
			failed++
			if guanxi.ErrorCode(res.Err) == guanxi.EINTERNAL {
				u.log.Error("bulk merge", "shop", rq.shop.Code, "survivor", res.Request.SurvivorID, "merged", res.Request.MergedID, "err", res.Err)
			}
			continue
		}
		merged++
	}
	u.log.Info("customers merged in bulk", "shop", rq.shop.Code, "merged", merged, "failed", failed, "user", rq.sess.User.Username)
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/duplicates?merged="+strconv.Itoa(merged)+"&failed="+strconv.Itoa(failed), http.StatusSeeOther)
}

// duplicateDismiss records that a candidate pair ("a:b") is not one person,
// so the list stops offering it.
func (u *UI) duplicateDismiss(w http.ResponseWriter, r *http.Request, rq *request) {
	if !canMerge(rq.role) {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "your role in this shop may not dismiss duplicates"))
		return
	}
	as, bs, _ := strings.Cut(r.PostFormValue("dismiss"), ":")
	a, errA := strconv.ParseInt(as, 10, 64)
	b, errB := strconv.ParseInt(bs, 10, 64)
	if errA != nil || errB != nil || a <= 0 || b <= 0 {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EINVALID, "dismiss needs a pair of customer numbers"))
		return
	}
	if err := u.cfg.Customers.Dismiss(r.Context(), rq.shop.ID, a, b, rq.sess.User.ID, u.clock.Now()); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/duplicates?done=dismissed", http.StatusSeeOther)
}
