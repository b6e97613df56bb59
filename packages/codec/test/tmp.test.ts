import { expect, test } from "@jest/globals"; test("x", () => expect(1).toBe(1));
