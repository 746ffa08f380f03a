/*
 * lab_proc.c: uccx-lab's life as a process: the monotonic clock, lab.pid,
 * ready and the other marker files, --daemon's fork and wait, and --stop.
 */
#include "lab.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LAB_READY_WAIT_MS 20000
#define LAB_STOP_WAIT_MS 10000

long lab_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

pid_t lab_pid_read(const char *dir)
{
	char path[4096];
	long pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/lab.pid", dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 1)
		pid = 0;
	fclose(f);
	return (pid_t)pid;
}

/* True when pid is a live (not zombie) uccx-lab process: a stale lab.pid
 * must never make us signal an unrelated process that reused the pid. */
bool lab_pid_is_lab(pid_t pid)
{
	char path[64], stat[512];
	const char *close_paren;
	size_t n;
	FILE *f;

	if (pid <= 1 || kill(pid, 0) != 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(stat, 1, sizeof(stat) - 1, f);
	fclose(f);
	stat[n] = '\0';
	close_paren = strrchr(stat, ')');
	return strstr(stat, "(uccx-lab)") && close_paren && close_paren[1] == ' ' &&
	       close_paren[2] != 'Z';
}

void lab_files_remove(const char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/ready", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lab.pid", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/regenerated", dir);
	unlink(path);
}

int lab_stop(const char *dir)
{
	pid_t pid = lab_pid_read(dir);
	long deadline = lab_now_ms() + LAB_STOP_WAIT_MS;
	struct timespec pause = {.tv_nsec = 20 * 1000000L};

	if (!lab_pid_is_lab(pid)) {
		fprintf(stderr, "uccx-lab: no lab running for %s\n", dir);
		lab_files_remove(dir);
		return 0;
	}
	kill(pid, SIGTERM);
	while (lab_pid_is_lab(pid) && lab_now_ms() < deadline)
		nanosleep(&pause, NULL);
	if (lab_pid_is_lab(pid)) {
		fprintf(stderr, "uccx-lab: pid %ld ignored SIGTERM for %d s; killing it\n",
			(long)pid, LAB_STOP_WAIT_MS / 1000);
		kill(pid, SIGKILL);
		lab_files_remove(dir);
		return 1;
	}
	return 0;
}

int lab_mark(const char *dir, const char *name)
{
	char path[4096], line[32];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	return lab_write_file(path, line, strlen(line), 0644);
}

/* --daemon, parent side: wait (bounded) until the child wrote 'ready'. */
int lab_daemon_wait(const char *dir, pid_t child)
{
	char path[4096];
	long deadline = lab_now_ms() + LAB_READY_WAIT_MS;
	struct timespec pause = {.tv_nsec = 5 * 1000000L};
	int status;

	snprintf(path, sizeof(path), "%s/ready", dir);
	while (lab_now_ms() < deadline) {
		if (access(path, F_OK) == 0)
			return 0;
		if (waitpid(child, &status, WNOHANG) == child) {
			fprintf(stderr,
				"uccx-lab: the lab exited during start-up (see %s/lab.log)\n", dir);
			return -1;
		}
		nanosleep(&pause, NULL);
	}
	fprintf(stderr, "uccx-lab: the lab was not ready after %d s\n", LAB_READY_WAIT_MS / 1000);
	kill(child, SIGTERM);
	return -1;
}

/* --daemon, child side: leave the caller's session and terminal, so that
 * `$(uccx-lab --daemon ...)` returns. */
int lab_daemon_detach(const char *dir)
{
	char path[4096];
	int logfd, nullfd;

	snprintf(path, sizeof(path), "%s/lab.log", dir);
	logfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (setsid() < 0 || logfd < 0 || nullfd < 0 || dup2(nullfd, 0) < 0 || dup2(logfd, 1) < 0 ||
	    dup2(logfd, 2) < 0)
		return -1;
	close(logfd);
	close(nullfd);
	return 0;
}
