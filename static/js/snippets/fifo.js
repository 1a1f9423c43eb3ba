// Code for the FIFO scenario: two unrelated programs meet at a path. A
// trailing "//@" or "#@" comment names the events a line makes. Lines stay
// within 40 columns, what the side panel shows on a projector.
export default {
  c: String.raw`
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

enum { N = {{messages:12}}, SIZE = {{size:64}} };
char buf[SIZE];

/* both: the first to come makes it */
mkfifo("channel.fifo", 0600);  //@ writer open mkfifo, reader open mkfifo, mkfifo

/* writer: open waits for a reader */
int w = open("channel.fifo", O_WRONLY);  //@ writer open
fcntl(w, F_SETPIPE_SZ, {{capacity:65536}});
/* full FIFO: write waits */
for (long i = 1; i <= N; i++)
    write(w, buf, SIZE);                   //@ writer write
close(w);                                  //@ writer close
unlink("channel.fifo"); /* name goes */   //@ writer unlink

/* reader: another program, later */
{{if reader_arrives_ms!=0}}
usleep({{reader_arrives_ms:400}} * 1000);
{{end}}
int r = open("channel.fifo",  //@ reader open
             O_RDONLY | O_NONBLOCK);
fcntl(r, F_SETFL, 0);  /* reads wait */
{{if reader_delay_ms!=0}}
for (;;) {
    usleep({{reader_delay_ms:0}} * 1000);  /* slow */
    if (read(r, buf, SIZE) <= 0)  //@ reader read
        break;  /* 0: writer closed */
}
{{else}}
/* empty: waits; 0: writer closed */
while (read(r, buf, SIZE) > 0)  //@ reader read
    ;
{{end}}
close(r);                                  //@ reader close`,
  go: String.raw`
const n, size = {{messages:12}}, {{size:64}}

buf := make([]byte, size)
// both: the first to come makes it
unix.Mkfifo("channel.fifo", 0o600)  //@ writer open mkfifo, reader open mkfifo, mkfifo

// writer: open waits for a reader
w, _ := os.OpenFile("channel.fifo",  //@ writer open
	os.O_WRONLY, 0)
unix.FcntlInt(w.Fd(),
	unix.F_SETPIPE_SZ, {{capacity:65536}})
for i := 1; i <= n; i++ {
	w.Write(buf) // full: Write waits  //@ writer write
}
w.Close()                  //@ writer close
os.Remove("channel.fifo")  //@ writer unlink

// reader, another program, comes later
{{if reader_arrives_ms!=0}}
time.Sleep({{reader_arrives_ms:400}} * time.Millisecond)
{{end}}
r, _ := os.OpenFile("channel.fifo",  //@ reader open
	os.O_RDONLY, 0)
for {
{{if reader_delay_ms!=0}}
	time.Sleep({{reader_delay_ms:0}} * time.Millisecond)
{{end}}
	_, err := io.ReadFull(r, buf)  //@ reader read
	if err != nil {
		break // io.EOF: writer closed
	}
}
r.Close()  //@ reader close`,
  py: String.raw`
import os, time

N, SIZE = {{messages:12}}, {{size:64}}
path = "channel.fifo"
# both: the first to come makes it
try:
    os.mkfifo(path, 0o600)  #@ writer open mkfifo, reader open mkfifo, mkfifo
except FileExistsError:
    pass

# writer: open waits for a reader
w = os.open(path, os.O_WRONLY)  #@ writer open
# full FIFO: write waits
for i in range(1, N + 1):
    os.write(w, bytes(SIZE))  #@ writer write
os.close(w)                  #@ writer close
os.unlink(path)              #@ writer unlink

# reader, another program, comes later
{{if reader_arrives_ms!=0}}
time.sleep({{reader_arrives_ms:400}} / 1000)
{{end}}
r = os.open(path, os.O_RDONLY)  #@ reader open
{{if reader_delay_ms!=0}}
while True:
    time.sleep({{reader_delay_ms:0}} / 1000)  # slow
    if not os.read(r, SIZE):  #@ reader read
        break  # b"": writer closed
{{else}}
while os.read(r, SIZE):  # b"": closed  #@ reader read
    pass
{{end}}
os.close(r)                  #@ reader close`,
};

// The parameters' values before a session runs.
export const defaults = { reader_delay_ms: 0, reader_arrives_ms: 400 };
