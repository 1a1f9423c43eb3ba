// Code for the FIFO scenario; "//@" comments name the events of a line.
export default {
  c: String.raw`
/* reader */
mkfifo("channel.fifo", 0600);                   //@ mkfifo
int r = open("channel.fifo", O_RDONLY);         //@ reader open
char buf[64];
while (read(r, buf, sizeof buf) > 0)            //@ read
    ;                    /* 0: every writer closed */
close(r);

/* writer, another program */
int w = open("channel.fifo", O_WRONLY);  /* waits for a reader */  //@ writer open
for (long i = 1; i <= N; i++)
    write(w, buf, sizeof buf);                  //@ write
close(w);                                       //@ close
unlink("channel.fifo");                         //@ unlink`,
  go: String.raw`
// reader
syscall.Mkfifo("channel.fifo", 0o600)            //@ mkfifo
r, _ := os.OpenFile("channel.fifo", os.O_RDONLY, 0) //@ reader open
buf := make([]byte, 64)
for {
	if _, err := r.Read(buf); err != nil {      //@ read
		break // io.EOF: every writer closed
	}
}

// writer, another program
w, _ := os.OpenFile("channel.fifo", os.O_WRONLY, 0) //@ writer open
for i := 1; i <= n; i++ {
	w.Write(buf)                                 //@ write
}
w.Close()                                        //@ close
os.Remove("channel.fifo")                        //@ unlink`,
};
