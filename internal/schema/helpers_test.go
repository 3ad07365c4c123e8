package schema

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// noErr stops the test when err is not nil.
func noErr(t *testing.T, err error, msgAndArgs ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%sunexpected error: %v", prefix(msgAndArgs), err)
	}
}

// checkNoErr reports err without stopping the test.
func checkNoErr(t *testing.T, err error, msgAndArgs ...any) {
	t.Helper()
	if err != nil {
		t.Errorf("%sunexpected error: %v", prefix(msgAndArgs), err)
	}
}

// equal reports a go-cmp diff when got differs from want.
func same[T any](t *testing.T, want, got T, msgAndArgs ...any) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%smismatch (-want +got):\n%s", prefix(msgAndArgs), diff)
	}
}

func prefix(msgAndArgs []any) string {
	if len(msgAndArgs) == 0 {
		return ""
	}
	format, ok := msgAndArgs[0].(string)
	if !ok {
		return fmt.Sprint(msgAndArgs...) + ": "
	}
	return fmt.Sprintf(format, msgAndArgs[1:]...) + ": "
}
