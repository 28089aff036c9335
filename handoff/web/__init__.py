"""The HTTP layer: routes, middlewares, the desktop API, the websocket and the phone pages."""
