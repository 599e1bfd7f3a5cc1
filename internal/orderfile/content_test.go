package orderfile

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi"
)

// An order file is checked by its bytes, whatever its name: a workbook,
// UTF-16 text, HTML, an image, a PDF or a program named orders.csv is
// refused with EINVALID naming the file and saying what it is, never
// decoded as GB18030 into a confusing column error (or into orders).
func TestOpenRefusesContentThatIsNotCSVText(t *testing.T) {
	var xlsx bytes.Buffer
	zw := zip.NewWriter(&xlsx)
	w, _ := zw.Create("xl/workbook.xml")
	w.Write([]byte(`<?xml version="1.0"?><workbook/>`))
	zw.Close()
	png := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"
	for what, c := range map[string]struct{ content, says string }{
		"xlsx":     {xlsx.String(), ".xlsx"},
		"xls":      {"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + strings.Repeat("\x00", 100), ".xls"},
		"utf-16":   {"\xff\xfeo\x00r\x00d\x00e\x00r\x00_\x00i\x00d\x00", "UTF-16"},
		"html":     {"<html><body><table><tr><td>order_id</td></tr></table></body></html>", "text/html"},
		"png":      {png, "image/png"},
		"pdf":      {"%PDF-1.7\n1 0 obj", "application/pdf"},
		"exe":      {"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", "application/octet-stream"},
		"nul":      {"order_id,order_date,customer_id,amount\n\x00\x00\x00", "application/octet-stream"},
		"late nul": {"order_id,order_date,customer_id,amount\n" + strings.Repeat("A1,2025-01-01,C1,10\n", 40) + "\x00\x00", "NUL"}, // past the 512 bytes sniffed
		"bom+xlsx": {"\xef\xbb\xbf" + xlsx.String(), ".xlsx"},
	} {
		for _, format := range []string{"generic", "taobao", "shopify"} {
			_, err := Open(format, "orders.csv", strings.NewReader(c.content), Options{})
			if guanxi.ErrorCode(err) != guanxi.EINVALID || !strings.Contains(err.Error(), "orders.csv") || !strings.Contains(err.Error(), c.says) {
				t.Errorf("%s as %s: %v, want EINVALID naming orders.csv and saying %q", what, format, err, c.says)
			}
		}
		_, err := OpenGenericParts("orders.csv", []byte(c.content), Options{}, 4)
		if guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Errorf("%s in parts: %v, want EINVALID", what, err)
		}
	}
	// CSV text passes: UTF-8, with a byte order mark, GB18030 (GBK), tabs in cells.
	for what, content := range map[string]string{
		"utf-8":   "order_id,order_date,customer_id,amount\nA1,2025-01-01,C1,10\n",
		"bom":     "\xef\xbb\xbforder_id,order_date,customer_id,amount\nA1,2025-01-01,C1,10\n",
		"gb18030": "order_id,order_date,customer_id,amount,customer_name\nA1,2025-01-01,C1,10,\xcd\xf5\xb7\xbc\n",
		"tab":     "order_id,order_date,customer_id,amount,customer_name\nA1,2025-01-01,C1,10,\"a\tb\"\n",
	} {
		r, err := Open("generic", "orders.csv", strings.NewReader(content), Options{})
		if err != nil {
			t.Errorf("%s: %v", what, err)
			continue
		}
		if _, err := r.Next(); err != nil {
			t.Errorf("%s: first record: %v", what, err)
		}
	}
}
