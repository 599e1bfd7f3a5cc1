// Package customer owns a shop's customers: profiles, identities (the
// platform ids, phones and emails that say who a person is), consent,
// timeline, merges and the per-customer statistics kept current from orders.
// Services are safe for concurrent use; functions taking a *store.Tx run
// inside the caller's transaction.
package customer
