/*
 * A stand-in for symsrvd, to test the harness itself: it runs the real
 * daemon (SYMSRVD_STANDIN_REAL) with its own arguments, so that the real
 * daemon writes the --addr-file the harness reads and answers every
 * request, and forwards the signals a test sends (SIGTERM, SIGINT, SIGHUP,
 * SIGUSR1, SIGUSR2). How it ends is SYMSRVD_STANDIN_MODE:
 *   pass  exits as the daemon did (the control: the program must pass);
 *   exit  exits 3 once it was sent SIGTERM, however the daemon ended;
 *   lsan  writes a LeakSanitizer report to stderr, then exits as the
 *         daemon did.
 * A test program run with "exit" or "lsan" must fail (see CMakeLists.txt).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
    static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2};
    const char *real = getenv("SYMSRVD_STANDIN_REAL");
    const char *mode = getenv("SYMSRVD_STANDIN_MODE");
    sigset_t set;
    int status = 0, got_term = 0;
    pid_t pid;

    (void)argc;
    if (real == NULL || mode == NULL ||
        (strcmp(mode, "pass") != 0 && strcmp(mode, "exit") != 0 &&
         strcmp(mode, "lsan") != 0)) {
        fprintf(stderr, "standin: set SYMSRVD_STANDIN_REAL and "
                        "SYMSRVD_STANDIN_MODE=pass|exit|lsan\n");
        return 2;
    }
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
        sigaddset(&set, forwarded[i]);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    pid = fork();
    if (pid == -1) {
        perror("standin: fork");
        return 2;
    }
    if (pid == 0) {
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        argv[0] = (char *)(uintptr_t)real;
        execv(real, argv);
        perror("standin: exec");
        _exit(127);
    }
    for (;;) {
        int sig = sigwaitinfo(&set, NULL);

        if (sig == -1) {
            if (errno == EINTR)
                continue;
            perror("standin: sigwaitinfo");
            kill(pid, SIGKILL);
        }
        if (sig == SIGCHLD || sig == -1) {
            pid_t r = waitpid(pid, &status, sig == -1 ? 0 : WNOHANG);

            if (r == pid)
                break;
            continue;
        }
        got_term |= sig == SIGTERM;
        kill(pid, sig);
    }
    if (strcmp(mode, "lsan") == 0) {
        fprintf(stderr,
                "=================================================="
                "===============\n"
                "==%d==ERROR: LeakSanitizer: detected memory leaks\n\n"
                "Direct leak of 64 byte(s) in 1 object(s) allocated from:\n"
                "    #0 0x7f0000000000 in malloc\n\n"
                "SUMMARY: AddressSanitizer: 64 byte(s) leaked in 1 "
                "allocation(s).\n",
                (int)getpid());
    }
    if (strcmp(mode, "exit") == 0 && got_term)
        return 3;
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
