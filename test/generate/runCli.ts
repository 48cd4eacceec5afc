// Runs the ditto CLI from source (through tsx), for tests that need a real child process to kill.
import {main} from "../../src/cli/main.js";

await main(process.argv);
