// The intro page: nothing to capture yet, but a cancel or expiry still shows at once.
import { ready, watchStatus } from "./phone-common.js";

ready();
watchStatus();
