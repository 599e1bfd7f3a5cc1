// Package analytics is Guanxi's customer maths over columnar slices: per
// customer purchase summaries built from orders (Builder, FromOrderfile), RFM
// rank-quintile scores (RFM) and the segment maps built on them (the Chinese
// 8-class model and the 11-segment R × FM grid). It imports no database
// package, so `guanxi analyze` can run it on a CSV alone and `guanxi score`
// on summary rows read from the store.
//
// Values are plain slices indexed by customer; functions do not retain or
// modify their inputs unless they say so. A Builder is not safe for
// concurrent use; a built *Customers may be read concurrently.
package analytics
