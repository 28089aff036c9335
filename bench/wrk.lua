-- Request shape for wrk, from the environment: API_KEY (X-API-Key header),
-- ETAG (If-None-Match header), BODY (turns the request into a JSON POST).
local key = os.getenv("API_KEY")
local etag = os.getenv("ETAG")
local body = os.getenv("BODY")
if key and key ~= "" then wrk.headers["X-API-Key"] = key end
if etag and etag ~= "" then wrk.headers["If-None-Match"] = etag end
if body and body ~= "" then
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
