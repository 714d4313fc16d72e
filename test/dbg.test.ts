import { inject, it } from "vitest";

it("x", async () => {
  console.error("in test", inject("backend"));
});
