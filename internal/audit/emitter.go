package audit

// Emitter receives events: the Recorder, and observers such as metrics.
type Emitter interface {
	Record(Event)
}

// Tee sends each event to every emitter (nil ones are skipped).
type Tee []Emitter

// Record implements Emitter.
func (t Tee) Record(e Event) {
	for _, em := range t {
		if em != nil {
			em.Record(e)
		}
	}
}
