package ui

import "net/http"

// homeShow sends a user with one shop to its customers and shows anyone
// else the shops they belong to (or that they belong to none yet).
func (u *UI) homeShow(w http.ResponseWriter, r *http.Request, rq *request) {
	shops, err := u.cfg.Auth.Memberships(r.Context(), rq.sess.User.ID)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if len(shops) == 1 {
		http.Redirect(w, r, "/s/"+shops[0].ShopCode+"/customers", http.StatusSeeOther)
		return
	}
	rq.shops = shops
	u.render(w, r, rq, http.StatusOK, "shops", "", u.view(r, rq, "", nil))
}

// shopHome is a shop's front page; for now its customer list.
func (u *UI) shopHome(w http.ResponseWriter, r *http.Request, rq *request) {
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/customers", http.StatusSeeOther)
}
