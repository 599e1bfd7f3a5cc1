package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestTimeoutError checks that a request cut off by its time limit is
// answered 503 "timeout" with Retry-After, not a bare internal error.
func TestTimeoutError(t *testing.T) {
	w := httptest.NewRecorder()
	writeError(w, fmt.Errorf("segment: count: %w", context.DeadlineExceeded))
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), `"code":"timeout"`) {
		t.Fatalf("timeout: %d %q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	w = httptest.NewRecorder()
	writeError(w, fmt.Errorf("something broke"))
	if w.Code != http.StatusInternalServerError || !strings.Contains(w.Body.String(), `"code":"internal"`) {
		t.Fatalf("internal: %d %s", w.Code, w.Body)
	}
}
