package web

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus metrics, in a registry of its own so
// that two servers in one process (as in tests) never share one.
type metrics struct {
	reg      *prometheus.Registry
	refusals *prometheus.CounterVec
	faults   *prometheus.CounterVec
	started  prometheus.Counter
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ipcpg_refusals_total",
			Help: "Requests refused by a limit or a check, by reason.",
		}, []string{"reason"}),
		faults: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ipcpg_faults_total",
			Help: "Faults of the HTTP side: a handler's panic, a session that could not start, a stream that failed.",
		}, []string{"where"}),
		started: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ipcpg_sessions_started_total",
			Help: "Sessions started since the server started.",
		}),
	}
	m.reg.MustRegister(m.refusals, m.faults, m.started, &stateCollector{s: s},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) refused(reason string) { m.refusals.WithLabelValues(reason).Inc() }
func (m *metrics) fault(where string)    { m.faults.WithLabelValues(where).Inc() }

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// stateCollector reads the runner's and the streams' state at each scrape,
// so the figures are never stale and nothing counts twice.
type stateCollector struct{ s *Server }

var (
	descSessions = prometheus.NewDesc("ipcpg_sessions", "Sessions kept, running or ended, by state.", []string{"state"}, nil)
	descSlots    = prometheus.NewDesc("ipcpg_session_slots", "Sessions that may run at once (-max-sessions).", nil, nil)
	descBusy     = prometheus.NewDesc("ipcpg_session_slots_used", "Session slots in use: sessions starting, running or cleaning up.", nil, nil)
	descProcs    = prometheus.NewDesc("ipcpg_processes", "Worker processes of running sessions that have not exited.", nil, nil)
	descEvents   = prometheus.NewDesc("ipcpg_events", "Events recorded by the sessions kept.", nil, nil)
	descObjects  = prometheus.NewDesc("ipcpg_kernel_objects", "Kernel objects of sessions not yet cleaned up, by kind.", []string{"kind"}, nil)
	descViewers  = prometheus.NewDesc("ipcpg_viewers", "Event streams (WebSockets) open.", nil, nil)
	descRecBytes = prometheus.NewDesc("ipcpg_recording_bytes", "Bytes the recordings take on disk.", nil, nil)
	descRecs     = prometheus.NewDesc("ipcpg_recordings", "Recordings kept, running sessions' included.", nil, nil)
	descReady    = prometheus.NewDesc("ipcpg_ready", "1 when a session can start now, as /readyz says, else 0.", nil, nil)
)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSessions, descSlots, descBusy, descProcs, descEvents, descObjects, descViewers, descRecBytes, descRecs, descReady} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.cfg.Runner.Stats()
	for state, n := range st.States {
		ch <- prometheus.MustNewConstMetric(descSessions, prometheus.GaugeValue, float64(n), state)
	}
	for kind, n := range st.Objects {
		ch <- prometheus.MustNewConstMetric(descObjects, prometheus.GaugeValue, float64(n), kind)
	}
	ready := 0.0
	if ok, _ := c.s.ready(); ok {
		ready = 1
	}
	for d, v := range map[*prometheus.Desc]float64{
		descSlots: float64(st.MaxSessions), descBusy: float64(st.Running), descProcs: float64(st.Processes),
		descEvents: float64(st.Events), descViewers: float64(c.s.quotas.openStreams()), descReady: ready,
		descRecBytes: float64(st.RecordingBytes), descRecs: float64(st.Recordings),
	} {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
}
