// Code for the pipe scenario. A trailing "//@" or "#@" comment names the
// events a line makes, so the page can mark it; it is not displayed.
// Lines stay within 40 columns, what the side panel shows on a projector.
export default {
  c: String.raw`
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { N = {{messages:12}}, SIZE = {{size:64}} };
int fd[2];  /* [0]: read, [1]: write */
char buf[SIZE];

pipe2(fd, 0);                         //@ parent pipe2, parent open
/* its capacity, in bytes */
fcntl(fd[0], F_SETPIPE_SZ, {{capacity:65536}});
pid_t pid = fork();                   //@ parent fork+exec, child spawn
if (pid == 0) {  /* the child writes */
    for (long i = 1; i <= N; i++) {
        /* its number first */
        memcpy(buf, &i, sizeof i);
        /* full pipe: write waits */
        write(fd[1], buf, SIZE);      //@ child write
    }
    close(fd[1]);                     //@ child close
    _exit(0);
}
/* or read never sees end of file */
close(fd[1]);                         //@ parent close
{{if reader_delay_ms!=0}}
for (;;) {
    usleep({{reader_delay_ms:0}} * 1000);  /* slow */
    if (read(fd[0], buf, SIZE) <= 0)  //@ parent read
        break;  /* 0: writers closed */
}
{{else}}
/* empty pipe: read waits; 0: every
   write end is closed */
while (read(fd[0], buf, SIZE) > 0)    //@ parent read
    ;
{{end}}
waitpid(pid, NULL, 0);`,
  go: String.raw`
const n, size = {{messages:12}}, {{size:64}}

// parent
r, w, _ := os.Pipe()                  //@ parent pipe2, parent open
// the child gets w as its fd 3
cmd := exec.Command(os.Args[0],       //@ parent fork+exec
	"child")
cmd.ExtraFiles = []*os.File{w}
cmd.Start()                           //@ child spawn
// or Read never sees end of file
w.Close()                             //@ parent close
buf := make([]byte, size)
for {
{{if reader_delay_ms!=0}}
	time.Sleep({{reader_delay_ms:0}} * time.Millisecond)
{{end}}
	// empty pipe: ReadFull waits
	_, err := io.ReadFull(r, buf)     //@ parent read
	if err != nil {
		break // io.EOF: writers closed
	}
}
cmd.Wait()

// the child
w := os.NewFile(3, "pipe")
buf := make([]byte, size)
for i := 1; i <= n; i++ {
	buf[0] = byte(i)
	// full pipe: Write waits
	w.Write(buf)                      //@ child write
}
w.Close()                             //@ child close`,
  py: String.raw`
import os, time

N, SIZE = {{messages:12}}, {{size:64}}
r, w = os.pipe()                #@ parent pipe2, parent open
pid = os.fork()                 #@ parent fork+exec, child spawn
if pid == 0:  # the child writes
    for i in range(1, N + 1):
        m = i.to_bytes(8, "little")
        os.write(w, m.ljust(SIZE))  #@ child write
    os.close(w)                 #@ child close
    os._exit(0)
os.close(w)                     #@ parent close
while True:
{{if reader_delay_ms!=0}}
    time.sleep({{reader_delay_ms:0}} / 1000)  # slow
{{end}}
    if not os.read(r, SIZE):    #@ parent read
        break  # b"": writers closed
os.waitpid(pid, 0)`,
};

// The parameters' values before a session runs.
export const defaults = { reader_delay_ms: 0 };
