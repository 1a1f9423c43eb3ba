package event

// The keys of an event's attrs: every one the server or a worker writes,
// named once, with what it holds. docs/API.md lists them all (a test keeps
// the list and these constants the same), and a test of the streams checks
// that no event carries a key not named here.
const (
	// The session's first event.
	AttrID         = "id"          // the session's id; on open and sample, the kernel's id of a System V object
	AttrScenario   = "scenario"    // the scenario's name
	AttrParams     = "params"      // the parameters the session runs with
	AttrPace       = "pace"        // realtime, slow or step
	AttrProcs      = "procs"       // the planned processes: name, role, started_by
	AttrObjects    = "objects"     // the planned kernel objects: kind, title, label, name, key, key_hex
	AttrClockStart = "clock_start" // the shared monotonic clock's reading at t = 0
	AttrPageSize   = "page_size"   // the size of a pipe's page slots

	// Opening an object.
	AttrReadFD      = "read_fd"      // a pipe's read descriptor
	AttrWriteFD     = "write_fd"     // a pipe's write descriptor
	AttrFD          = "fd"           // the descriptor opened, accepted or closed
	AttrEnd         = "end"          // which end of a pipe or FIFO: read or write
	AttrFlags       = "flags"        // the open flags, in C's words
	AttrCreated     = "created"      // the call created the object
	AttrName        = "name"         // a POSIX name; on signal and deliver, the signal's name
	AttrKey         = "key"          // a System V key, in hex
	AttrPath        = "path"         // a FIFO's or Unix socket's path
	AttrPort        = "port"         // the TCP or UDP port the kernel gave the server
	AttrSize        = "size"         // bytes of a segment or message; on measure, of each message
	AttrSlots       = "slots"        // a ring's slots; on first_block, how many
	AttrSlotBytes   = "slot_bytes"   // bytes of one ring slot
	AttrSlot        = "slot"         // the ring slot a write or read used
	AttrOffset      = "offset"       // where in the segment a futex word lives
	AttrCalls       = "calls"        // the calls that made the object, in words
	AttrNum         = "num"          // a semaphore's number in its set
	AttrCounts      = "counts"       // what a semaphore counts, in words
	AttrSemaphores  = "semaphores"   // semaphores in a set
	AttrUndo        = "undo"         // the semaphore operations use SEM_UNDO
	AttrMaxmsg      = "maxmsg"       // a POSIX queue's most messages
	AttrMsgsize     = "msgsize"      // a POSIX queue's largest message
	AttrQbytes      = "qbytes"       // a System V queue's most bytes (msg_qbytes)
	AttrBytes       = "bytes"        // a System V queue's bytes now (msg_cbytes)
	AttrKernelBytes = "kernel_bytes" // kernel memory an object takes, bookkeeping included
	AttrBacklog     = "backlog"      // a listening socket's backlog
	AttrRcvbuf      = "rcvbuf"       // SO_RCVBUF
	AttrSndbuf      = "sndbuf"       // SO_SNDBUF
	AttrType        = "type"         // a socket's type: stream or datagram
	AttrMode        = "mode"         // a socket's mode; on measure, rtt or stream
	AttrIn          = "in"           // where a shared variable lives
	AttrWriter      = "writer"       // the process that writes into a pipe of the deadlock
	AttrReader      = "reader"       // the process that reads from it

	// Data and waits.
	AttrTo           = "to"            // the consumer a System V message is for
	AttrOutq         = "outq"          // a socket sender's SIOCOUTQ right after the call
	AttrLocalPort    = "local_port"    // a client's own port, on connect
	AttrSocket       = "socket"        // which socket a close closed
	AttrDrops        = "drops"         // packets a port's sockets dropped so far
	AttrWaitedNS     = "waited_ns"     // how long a call was blocked
	AttrWokenBy      = "woken_by"      // who could wake a blocked call
	AttrPurpose      = "purpose"       // why a process waits: start_line, not the lesson's lock
	AttrFollowsStore = "follows_store" // a load or store comes after the store of this value
	AttrLoaded       = "loaded"        // the value a race worker loaded
	AttrOverwrote    = "overwrote"     // the value a store replaced
	AttrOp           = "op"            // the semaphore operation (-1, +1) or the atomic instruction
	AttrInside       = "inside"        // processes inside the semaphore's section
	AttrRound        = "round"         // the round of a semaphore's lesson
	AttrWoken        = "woken"         // a post woke a waiter
	AttrHolding      = "holding"       // the semaphore a deadlock worker holds while it waits

	// Signals.
	AttrSignal       = "signal"        // the signal's name, on a signal_merged moment
	AttrSigno        = "signo"         // the signal's number
	AttrValue        = "value"         // the value sent with it (sigqueue)
	AttrPID          = "pid"           // the pid a signal went to; the pid of a process ended early
	AttrMarker       = "marker"        // the signal ends the run
	AttrFrom         = "from"          // who sent a delivered signal
	AttrFromPID      = "from_pid"      // the sender's pid, from the siginfo
	AttrSum          = "sum"           // the values handled so far, added up
	AttrSigPending   = "sig_pending"   // signals the kernel holds pending (SigPnd and ShdPnd)
	AttrSigBlocked   = "sig_blocked"   // signals blocked (SigBlk)
	AttrPendingValue = "pending_value" // the value of the pending signal a send merged into

	// The server's readings.
	AttrSource             = "source"              // where a reading came from (sock_diag, mq_getattr, ...)
	AttrRxQueue            = "rx_queue"            // bytes waiting to be read on a port's sockets
	AttrTxQueue            = "tx_queue"            // bytes not yet acknowledged
	AttrSockets            = "sockets"             // how many sockets a reading found
	AttrPendingConnections = "pending_connections" // connections waiting to be accepted
	AttrFinsUnread         = "fins_unread"         // ends of stream (FIN) waiting unread
	AttrConns              = "conns"               // a TCP port's queues by connection

	// Notes, the pace and the session's end.
	AttrChildPID   = "child_pid"   // a process a worker started
	AttrWaitsFor   = "waits_for"   // what a waiting process waits for
	AttrDone       = "done"        // how much of the work is done
	AttrOf         = "of"          // of how much
	AttrNS         = "ns"          // a sleep's length
	AttrReason     = "reason"      // why a process sleeps
	AttrAction     = "action"      // the control that changed the pace
	AttrPaused     = "paused"      // the session is paused
	AttrSpeed      = "speed"       // the pace's speed
	AttrStopped    = "stopped"     // a process was stopped (SIGSTOP) or went on
	AttrEndedEarly = "ended_early" // a process that ended before its part was done
	AttrEndedBy    = "ended_by"    // server: the server killed the process
	AttrAbandoned  = "abandoned"   // nobody watched or drove the session
	AttrLeftNS     = "left_ns"     // time left before the session's limit
	AttrLimitNS    = "limit_ns"    // the session's time limit
	AttrDetectedBy = "detected_by" // who found a deadlock: this server

	// Moments.
	AttrAboutSeq      = "about_seq"      // the event a moment is about
	AttrRelatedSeq    = "related_seq"    // another event it relates to
	AttrProc          = "proc"           // the process a moment is about
	AttrSlotsUsed     = "slots_used"     // ring slots in use at a first block
	AttrLost          = "lost"           // the value a lost update lost
	AttrStored        = "stored"         // the value stored over it
	AttrOvertakenMsg  = "overtaken_msg"  // the message a priority message overtook
	AttrOvertakenPrio = "overtaken_prio" // its priority
	AttrVictim        = "victim"         // the process killed to break a deadlock
	AttrSurvivor      = "survivor"       // the process that went on

	// The compare scenarios' measures and progress.
	AttrMechanism   = "mechanism"      // the mechanism measured
	AttrTitle       = "title"          // its name in words
	AttrCount       = "count"          // messages per repetition
	AttrWarmup      = "warmup"         // untimed messages first
	AttrReps        = "reps"           // repetitions
	AttrCPU         = "cpu"            // the CPU both processes ran on, -1 for none
	AttrMsgsPerS    = "msgs_per_s"     // messages one way, or round trips, per second
	AttrMBPerS      = "mb_per_s"       // payload megabytes per second
	AttrRTTP50NS    = "rtt_p50_ns"     // a round trip's median
	AttrRTTP99NS    = "rtt_p99_ns"     // its 99th percentile
	AttrCtxswPerMsg = "ctxsw_per_msg"  // context switches per message
	AttrCopies      = "copies"         // how often the kernel copies a message
	AttrCopiesWhy   = "copies_why"     // where, in a line
	AttrTotal       = "total"          // cells in all
	AttrRepMsgsPerS = "rep_msgs_per_s" // each repetition's rate
	AttrSkipped     = "skipped"        // why a cell was not measured
	AttrRunningNS   = "running_ns"     // how long the measuring has run
)
