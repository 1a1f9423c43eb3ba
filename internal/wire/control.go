package wire

// Control is a message the server sends a worker on its control pipe, one
// JSON object a line.
type Control struct {
	Op    string  `json:"op"` // go, step, pause, resume, speed
	Value float64 `json:"value,omitempty"`
}
