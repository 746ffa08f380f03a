/*
 * holdlock.c: holds a file open with no sharing, as Firefox on Windows holds
 * its profile's parent.lock while it runs, for the tests under Wine.
 * Usage: uct-holdlock FILE STOPFILE. Prints "held" once the file is open,
 * then waits until STOPFILE exists (at most 60 s) and exits.
 */
#include <stdio.h>
#include <windows.h>

int main(int argc, char **argv)
{
	HANDLE h;
	int i;

	if (argc != 3) {
		fprintf(stderr, "usage: uct-holdlock FILE STOPFILE\n");
		return 2;
	}
	h = CreateFileA(argv[1], GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_ALWAYS,
			FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		fprintf(stderr, "cannot open %s: error %lu\n", argv[1],
			(unsigned long)GetLastError());
		return 1;
	}
	printf("held\n");
	fflush(stdout);
	for (i = 0; i < 600 && GetFileAttributesA(argv[2]) == INVALID_FILE_ATTRIBUTES; i++)
		Sleep(100);
	CloseHandle(h);
	return 0;
}
