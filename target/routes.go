package target

import (
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
)

// routes builds the Echo instance: probes and metrics bypass the limiter and
// never touch a session; data endpoints go through the request deadline, the
// thread limiter and the session, in that order, so a queued request holds
// no Redis connection.
func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.Logger.SetOutput(io.Discard)
	e.HTTPErrorHandler = httpErrorHandler
	e.Use(s.observe)

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(s.m.handler()))

	data := e.Group("", s.deadline, s.limit, s.sessions.middleware)
	data.POST("/login", s.login)
	data.POST("/logout", s.logout)
	data.POST("/upload", s.upload)
	data.GET("/dataset", s.dataset)
	data.GET("/map", s.mapView)

	e.RouteNotFound("/*", func(c echo.Context) error {
		return writeError(c, http.StatusNotFound, "no such endpoint")
	})
	return e
}
