package sse_test

import (
	"fmt"
	"strings"

	"github.com/aione/aione-go/internal/sse"
)

func ExampleScanner() {
	body := strings.NewReader("event: greeting\r\ndata: hello\r\ndata: world\r\n\r\n: keep-alive\n\nid: 7\ndata: {\"n\":1}\n\n")
	s := sse.NewScanner(body)
	for s.Next() {
		ev := s.Event()
		typ := string(ev.Type)
		if typ == "" {
			typ = "message"
		}
		fmt.Printf("%s id=%q retry=%d data=%q\n", typ, ev.ID, ev.Retry, ev.Data)
	}
	if err := s.Err(); err != nil {
		fmt.Println("error:", err)
	}
	// Output:
	// greeting id="" retry=-1 data="hello\nworld"
	// message id="7" retry=-1 data="{\"n\":1}"
}
