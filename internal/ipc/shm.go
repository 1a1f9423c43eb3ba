package ipc

// Segment is one mapping of a shared memory object, POSIX or System V, seen
// as a byte slice. Every process that maps the object sees the same bytes:
// a store by one is visible to the others with no call in between.
//
// Close releases this process's mapping (munmap or shmdt); the object
// itself outlives every mapping until ShmUnlink or ShmRemove, so the
// creator registers the removal as soon as it creates the object.
type Segment struct {
	b       []byte
	release func([]byte) error
}

// Bytes returns the mapped memory. It is valid until Close; touching it
// afterwards faults.
func (s *Segment) Bytes() []byte { return s.b }

// Close releases the mapping. Calling it again does nothing.
func (s *Segment) Close() error {
	if s.b == nil {
		return nil
	}
	b := s.b
	s.b = nil
	return s.release(b)
}
