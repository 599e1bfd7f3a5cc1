//go:build unix

package app

import (
	"os"
	"syscall"
)

// mapFile maps path read-only into memory. The pages come from the page
// cache as they are touched: nothing is copied and no fresh memory is
// zeroed, which for a file of hundreds of megabytes saves most of a second.
func mapFile(path string) ([]byte, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close() // the mapping outlives the descriptor
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if st.Size() == 0 || !st.Mode().IsRegular() {
		// Empty files cannot be mapped; pipes and devices are read.
		data, err := os.ReadFile(path)
		return data, func() error { return nil }, err
	}
	if st.Size() != int64(int(st.Size())) {
		return nil, nil, syscall.EFBIG
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	return data, func() error { return syscall.Munmap(data) }, nil
}
