/* empty.c: keeps the test support library non-empty. */
typedef int uct_test_support_empty;
