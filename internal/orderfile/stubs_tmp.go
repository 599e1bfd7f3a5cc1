package orderfile

import "io"

func newTaobao(name string, r io.Reader, opt Options) (Reader, error)  { return nil, nil }
func newShopify(name string, r io.Reader, opt Options) (Reader, error) { return nil, nil }
