package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ipc-playground/ipc-playground/web"
)

// defaultAddr is where the server listens when neither -addr nor ADDR
// says otherwise.
const defaultAddr = "127.0.0.1:8080"

// config is the server's command line, checked.
type config struct {
	addr         string
	maxSessions  int
	stateDir     string
	dataDir      string
	keep         keepFlags
	maxEvents    int
	allowedHosts string
	adminToken   string
	limits       web.Limits
}

// keepFlags bound the recordings kept in the data directory.
type keepFlags struct {
	count int
	mib   int64
	age   time.Duration
}

// envOf names the environment variable each flag may also be given by; a
// flag on the command line wins. (-addr takes ADDR as its default.)
var envOf = map[string]string{
	"max-sessions":            "MAX_SESSIONS",
	"allowed-hosts":           "ALLOWED_HOSTS",
	"admin-token":             "ADMIN_TOKEN",
	"max-sessions-per-client": "MAX_SESSIONS_PER_CLIENT",
	"starts-per-minute":       "STARTS_PER_MINUTE",
	"max-viewers":             "MAX_VIEWERS",
	"max-streams-per-client":  "MAX_STREAMS_PER_CLIENT",
	"max-streams":             "MAX_STREAMS",
	"controls-per-second":     "CONTROLS_PER_SECOND",
	"max-events":              "MAX_EVENTS",
}

// minAdminToken is the shortest operator token taken: it guards every
// session, so it must not be guessable.
const minAdminToken = 16

// usageError is a command line the server cannot run with. It has been
// reported on stderr already; main exits with status 2 for it, as the flag
// package does for a flag it does not know.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// parseFlags reads the command line and checks every value before anything
// starts: a server that listened with -max-sessions 0 would refuse every
// session, and one with a malformed address would fail later with a less
// clear message. It returns flag.ErrHelp after printing the usage for -h.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("ipc-playground", flag.ContinueOnError)
	fs.SetOutput(stderr)
	envAddr := getenv("ADDR")
	def := envAddr
	if def == "" {
		def = defaultAddr
	}
	var cfg config
	fs.StringVar(&cfg.addr, "addr", def, "address to listen on, HOST:PORT (also the ADDR environment variable)")
	fs.IntVar(&cfg.maxSessions, "max-sessions", 8, "sessions that may run at once (1 or more)")
	fs.StringVar(&cfg.stateDir, "state-dir", "", "directory for sessions' FIFOs and sockets (default: a private one under the temporary directory)")
	fs.StringVar(&cfg.dataDir, "data-dir", defaultDataDir(getenv), "directory of the recordings, kept across restarts (also DATA_DIR)")
	fs.IntVar(&cfg.keep.count, "keep-sessions", envInt(getenv, "KEEP_SESSIONS", 1000), "recordings kept at most; the oldest go first (also KEEP_SESSIONS)")
	fs.Int64Var(&cfg.keep.mib, "keep-mib", int64(envInt(getenv, "KEEP_MIB", 2048)), "MiB the recordings may take in all (also KEEP_MIB)")
	fs.DurationVar(&cfg.keep.age, "keep-age", envDuration(getenv, "KEEP_AGE", 30*24*time.Hour), "how long a recording is kept (also KEEP_AGE)")
	fs.IntVar(&cfg.maxEvents, "max-events", 2_000_000, "events one session may record before it is ended (1,000 or more)")
	fs.StringVar(&cfg.allowedHosts, "allowed-hosts", "", "more host names or addresses the server answers to, comma-separated (besides the listen address, loopback and, on 0.0.0.0, the machine's own)")
	fs.StringVar(&cfg.adminToken, "admin-token", "", "the operator's token, 16 characters or more: lists and stops every session (off when empty; prefer ADMIN_TOKEN, which ps does not show)")
	l := &cfg.limits
	fs.IntVar(&l.SessionsPerClient, "max-sessions-per-client", 3, "sessions one client address may have running at once (0: no limit)")
	fs.IntVar(&l.StartsPerMinute, "starts-per-minute", 10, "sessions one client address may start in a minute (0: no limit)")
	fs.IntVar(&l.Viewers, "max-viewers", 100, "event streams (viewers) one session may have open (0: no limit)")
	fs.IntVar(&l.StreamsPerClient, "max-streams-per-client", 100, "event streams one client address may have open, at least -max-viewers (0: no limit)")
	fs.IntVar(&l.Streams, "max-streams", 500, "event streams open on the whole server (0: no limit)")
	fs.IntVar(&l.ControlsPerSecond, "controls-per-second", 20, "controls (pause, step, speed ...) one session takes a second (0: no limit)")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, err
		}
		// The flag package has printed the error and the usage.
		return cfg, &usageError{err}
	}
	if err := fromEnv(fs, getenv); err != nil {
		fmt.Fprintf(stderr, "%s: %v\nRun it with -h to see the flags.\n", fs.Name(), err)
		return cfg, &usageError{err}
	}
	if err := cfg.check(fs, envAddr); err != nil {
		fmt.Fprintf(stderr, "%s: %v\nRun it with -h to see the flags.\n", fs.Name(), err)
		return cfg, &usageError{err}
	}
	return cfg, nil
}

// check refuses values the server cannot run with. addrFromEnv is ADDR,
// named in the message when the address came from it.
func (c config) check(fs *flag.FlagSet, addrFromEnv string) error {
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: the server takes only flags (and the healthcheck command)", fs.Arg(0))
	}
	if err := checkAddr(c.addr); err != nil {
		if !isSet(fs, "addr") && addrFromEnv != "" {
			return fmt.Errorf("the ADDR environment variable: %w", err)
		}
		return fmt.Errorf("-addr: %w", err)
	}
	if c.maxEvents < 1000 {
		return fmt.Errorf("-max-events must be 1000 or more, not %d: it is how many events one session may record", c.maxEvents)
	}
	if c.maxSessions < 1 {
		return fmt.Errorf("-max-sessions must be 1 or more, not %d: it is how many sessions may run at once", c.maxSessions)
	}
	if c.keep.count < 1 || c.keep.mib < 1 || c.keep.age < time.Minute {
		return fmt.Errorf("-keep-sessions and -keep-mib must be 1 or more and -keep-age a minute or more: they bound the recordings kept")
	}
	if c.dataDir != "" {
		if fi, err := os.Stat(c.dataDir); err == nil && !fi.IsDir() {
			return fmt.Errorf("-data-dir %s is a file, not a directory", c.dataDir)
		}
	}
	if err := c.checkLimits(); err != nil {
		return err
	}
	if c.adminToken != "" && len(c.adminToken) < minAdminToken {
		return fmt.Errorf("-admin-token must be %d characters or more, not %d: it can stop every session (openssl rand -hex 16 makes one)", minAdminToken, len(c.adminToken))
	}
	for _, h := range c.hosts() {
		if host, _, err := net.SplitHostPort(h); err == nil {
			h = host
		}
		if !validHost(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")) {
			return fmt.Errorf("-allowed-hosts: %q is neither an IP address nor a host name", h)
		}
	}
	if c.stateDir != "" {
		if fi, err := os.Stat(c.stateDir); err == nil && !fi.IsDir() {
			return fmt.Errorf("-state-dir %s is a file, not a directory", c.stateDir)
		}
	}
	return nil
}

// checkLimits refuses a negative limit, and a per-client stream limit under
// the viewer limit: a class behind one address could not all watch one
// session.
func (c config) checkLimits() error {
	l := c.limits
	for _, f := range []struct {
		name string
		v    int
	}{{"max-sessions-per-client", l.SessionsPerClient}, {"starts-per-minute", l.StartsPerMinute}, {"max-viewers", l.Viewers},
		{"max-streams-per-client", l.StreamsPerClient}, {"max-streams", l.Streams}, {"controls-per-second", l.ControlsPerSecond}} {
		if f.v < 0 {
			return fmt.Errorf("-%s must be 0 (no limit) or more, not %d", f.name, f.v)
		}
	}
	if l.StreamsPerClient > 0 && l.Viewers == 0 {
		return fmt.Errorf("-max-streams-per-client must be 0 (no limit) when -max-viewers is, so that a class behind one address can all watch one session")
	}
	if l.StreamsPerClient > 0 && l.StreamsPerClient < l.Viewers {
		return fmt.Errorf("-max-streams-per-client (%d) must be at least -max-viewers (%d), so that a class behind one address can all watch one session",
			l.StreamsPerClient, l.Viewers)
	}
	return nil
}

// hosts splits -allowed-hosts.
func (c config) hosts() []string {
	var list []string
	for _, h := range strings.Split(c.allowedHosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			list = append(list, h)
		}
	}
	return list
}

// fromEnv gives each flag not on the command line its environment
// variable's value, if that is set.
func fromEnv(fs *flag.FlagSet, getenv func(string) string) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		env := envOf[f.Name]
		v := getenv(env)
		if err != nil || env == "" || v == "" || isSet(fs, f.Name) {
			return
		}
		if serr := fs.Set(f.Name, v); serr != nil {
			err = fmt.Errorf("the %s environment variable: %q is not a valid value of -%s", env, v, f.Name)
		}
	})
	return err
}

// defaultDataDir is where recordings live unless -data-dir says otherwise:
// DATA_DIR, else the user's state directory ($XDG_STATE_HOME, or
// ~/.local/state), so they survive restarts. With neither, the runner
// keeps them beside its state directory.
func defaultDataDir(getenv func(string) string) string {
	if d := getenv("DATA_DIR"); d != "" {
		return d
	}
	if d := getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "ipc-playground")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "state", "ipc-playground")
	}
	return ""
}

// envInt reads a whole number from the environment, or def. A malformed
// one is left to the flag's own check by returning an impossible value.
func envInt(getenv func(string) string, name string, def int) int {
	v := getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return -1
	}
	return n
}

// envDuration reads a duration from the environment, or def.
func envDuration(getenv func(string) string, name string, def time.Duration) time.Duration {
	v := getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return -1
	}
	return d
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// checkAddr accepts HOST:PORT with a port from 0 (any free port) to 65535
// and a host that is empty (every interface), an IP address or a host name.
func checkAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not HOST:PORT, such as 127.0.0.1:8080", addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("the port in %q must be a number from 0 to 65535", addr)
	}
	if host != "" && !validHost(host) {
		return fmt.Errorf("%q in %q is neither an IP address nor a host name", host, addr)
	}
	return nil
}

// validHost reports whether h is an IP address or a well-formed host name.
// A name whose last label is all digits is a mistyped address such as
// 256.0.0.1, which a resolver would only be asked about in vain.
func validHost(h string) bool {
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	labels := strings.Split(strings.TrimSuffix(h, "."), ".")
	if len(h) > 253 {
		return false
	}
	for _, l := range labels {
		if !validLabel(l) {
			return false
		}
	}
	return strings.Trim(labels[len(labels)-1], "0123456789") != ""
}

// validLabel reports whether l is one label of a host name: letters,
// digits, hyphens (not at either end) and, as some local names have,
// underscores.
func validLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for _, c := range l {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
