package stack

import (
	"bufio"
	"errors"
	"net"
	"strings"
	"time"
)

// PingRedis speaks just enough RESP to ask a Redis server whether it is up; the
// harness has no other use for a Redis client.
func PingRedis(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return errors.New("unexpected answer " + strings.TrimSpace(line))
	}
	return nil
}

// RedisVersion asks INFO server for redis_version; "" when it cannot tell.
func RedisVersion(addr string) string {
	conn, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
	if err != nil {
		return ""
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := conn.Write([]byte("INFO server\r\n")); err != nil {
		return ""
	}
	sc := bufio.NewScanner(conn)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "redis_version:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
