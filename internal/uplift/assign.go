package uplift

import (
	"crypto/sha256"
	"encoding/binary"
)

// assignDomain separates the holdout hash from any other use of SHA-256 on
// the same seed. Changing it would change every stored campaign's split.
const assignDomain = "guanxi/uplift/holdout/v1\x00"

// Unit returns the customer's position in [0, 1) for the campaign with the
// given seed: the first 53 bits of SHA-256(domain ‖ seed ‖ customerID), both
// integers little-endian, divided by 2^53. The value depends on nothing else
// (not on the audience, its size or its order), so the split can be
// re-derived at any time from the seed stored with the campaign, and it is
// stable across releases and machines.
func Unit(seed uint64, customerID int64) float64 {
	var buf [len(assignDomain) + 16]byte
	n := copy(buf[:], assignDomain)
	binary.LittleEndian.PutUint64(buf[n:], seed)
	binary.LittleEndian.PutUint64(buf[n+8:], uint64(customerID))
	sum := sha256.Sum256(buf[:])
	return float64(binary.BigEndian.Uint64(sum[:8])>>11) / (1 << 53)
}

// Assign reports whether the customer belongs to the holdout group of the
// campaign with the given seed: Unit(seed, customerID) < holdoutShare.
//
// Each customer lands in the holdout with probability holdoutShare,
// independently of the others, so the holdout's size is binomial around
// holdoutShare × audience rather than exact. Raising the share only adds
// customers to the holdout; nobody leaves it. A share ≤ 0 (or NaN) puts no
// one in the holdout, a share ≥ 1 everyone. Use a fresh random seed per
// campaign, or the same customers are held out every time.
func Assign(seed uint64, customerID int64, holdoutShare float64) bool {
	return Unit(seed, customerID) < holdoutShare
}
