# The in-kernel test suites are compiled into this app only.
WEFT_TESTS := 1
APP_CFLAGS += -Ikernel/include
