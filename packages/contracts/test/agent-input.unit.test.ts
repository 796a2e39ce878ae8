import { describe, expect, it } from "vitest";
import { decodeAgentInputMessage as decodeAgentInput, MalformedMessageError } from "../src/index.js";

describe("decodeAgentInput", () => {
  it("accepts the agent inputs of the contract", () => {
    for (const input of [{ type: "SignIn" }, { type: "GoOffline" }, { type: "EndWrapUp", callId: "c" }]) {
      expect(decodeAgentInput({ messageId: "m", agentId: "a", at: 1, input }).input).toEqual(input);
    }
  });

  it.each([
    [null, /JSON object/],
    [{ agentId: "a", at: 1, input: { type: "SignIn" } }, /messageId/],
    [
      { messageId: "m", agentId: "a", at: 1, input: { type: "Dance" } },
      /message.input.type is not an agent input \("Dance"\)/,
    ],
    [{ messageId: "m", agentId: "a", at: 1, input: { type: "EndWrapUp" } }, /callId/],
  ])("rejects %j, naming the field", (json, reason) => {
    expect(() => decodeAgentInput(json)).toThrow(MalformedMessageError);
    expect(() => decodeAgentInput(json)).toThrow(reason);
  });
});
