//go:build !unix

package app

import "os"

// mapFile reads path whole: systems without mmap get a copy.
func mapFile(path string) ([]byte, func() error, error) {
	data, err := os.ReadFile(path)
	return data, func() error { return nil }, err
}
