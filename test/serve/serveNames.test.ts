import {test} from "node:test";
import assert from "node:assert/strict";
import {adapterName} from "../../src/serve/adapterName.js";
import {isLoopbackHost} from "../../src/serve/isLoopbackHost.js";

test("adapters are served under NAME=, their run's name, or their file name", () => {
    assert.deepEqual(adapterName("ada=runs/x/train/adapter.gguf"), {name: "ada", path: "runs/x/train/adapter.gguf"});
    assert.deepEqual(adapterName("runs/qwen-7b/train/adapter.gguf"), {name: "qwen-7b", path: "runs/qwen-7b/train/adapter.gguf"});
    assert.deepEqual(adapterName("/data/loras/holmes.gguf"), {name: "holmes", path: "/data/loras/holmes.gguf"});
    // an '=' inside a path is part of the path, not a name
    assert.deepEqual(adapterName("/data/a=b/holmes.gguf"), {name: "holmes", path: "/data/a=b/holmes.gguf"});
});

test("only loopback addresses count as local", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"]) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ["0.0.0.0", "::", "192.168.1.5", "example.com", "128.0.0.1"]) assert.equal(isLoopbackHost(h), false, h);
});
