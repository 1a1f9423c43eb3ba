// Code for the pipe scenario. A trailing "//@" or "#@" comment names the
// events a line makes, so the page can mark it; it is not displayed.
export default {
  c: String.raw`
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { N = {{messages:12}}, SIZE = {{size:64}} };

int main(void) {
    int fd[2];                 /* fd[0]: read end, fd[1]: write end */
    char buf[SIZE];
    pipe2(fd, 0);                          //@ parent pipe2, parent open
    fcntl(fd[0], F_SETPIPE_SZ, {{capacity:65536}});     /* capacity in bytes */
    pid_t pid = fork();                    //@ child spawn
    if (pid == 0) {                        /* the child writes */
        for (long i = 1; i <= N; i++) {
            memcpy(buf, &i, sizeof i);     /* message number first */
            write(fd[1], buf, SIZE);       //@ child write
        }                                  /* full pipe: write blocks */
        close(fd[1]);                      //@ child close
        _exit(0);
    }
    close(fd[1]);       /* or read never sees EOF */   //@ parent close
    int got = 0;
    while (read(fd[0], buf, SIZE) > 0)     //@ parent read
        got++;                             /* empty pipe: read blocks */
    /* read returned 0: every write end is closed */
    int status;
    waitpid(pid, &status, 0);
    return got == N ? 0 : 1;
}`,
  go: String.raw`
package main

import (
	"os"
	"os/exec"
)

const n, size = {{messages:12}}, {{size:64}}

func main() {
	if len(os.Args) > 1 { // the child: fd 3 is the write end
		w := os.NewFile(3, "pipe")
		buf := make([]byte, size)
		for i := 1; i <= n; i++ {
			buf[0] = byte(i)
			w.Write(buf) // full pipe: Write blocks  //@ child write
		}
		w.Close() //@ child close
		return
	}
	r, w, _ := os.Pipe() //@ parent pipe2, parent open
	cmd := exec.Command(os.Args[0], "child")
	cmd.ExtraFiles = []*os.File{w} // the child inherits w
	cmd.Start()                    //@ child spawn
	w.Close() // or Read never sees EOF  //@ parent close
	buf := make([]byte, size)
	got := 0
	for {
		_, err := r.Read(buf) //@ parent read
		if err != nil {       // io.EOF: every writer closed
			break
		}
		got++
	}
	cmd.Wait()
}`,
  py: String.raw`
import os

N, SIZE = {{messages:12}}, {{size:64}}
r, w = os.pipe()                    #@ parent pipe2, parent open
pid = os.fork()                     #@ child spawn
if pid == 0:                        # the child writes
    os.close(r)
    for i in range(1, N + 1):
        os.write(w, i.to_bytes(8, "little").ljust(SIZE, b"."))  #@ child write
    os.close(w)                     #@ child close
    os._exit(0)
os.close(w)                         #@ parent close
got = 0
while os.read(r, SIZE):             #@ parent read
    got += 1                        # b"" means end of file
os.waitpid(pid, 0)`,
};
