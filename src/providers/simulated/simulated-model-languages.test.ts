import { generateText, isStepCount } from 'ai';
import { describe, expect, it } from 'vitest';
import { createCalculatorTool } from '../../tools/builtin/calculator/calculator-tool.ts';
import { createSimulatedModel } from './simulated-model.ts';

const reply = (instructions: string | undefined, content: string) =>
  generateText({
    model: createSimulatedModel(),
    ...(instructions === undefined ? {} : { instructions }),
    messages: [{ role: 'user', content }],
  }).then((result) => result.text);

const calculate = (content: string, instructions?: string) =>
  generateText({
    model: createSimulatedModel(),
    ...(instructions === undefined ? {} : { instructions }),
    messages: [{ role: 'user', content }],
    tools: { calculator: createCalculatorTool() },
    stopWhen: isStepCount(5),
  });

describe('simulated model: response languages', () => {
  it('answers from the template of the language the system instruction names', async () => {
    expect(await reply('Be brief.\n\nRespond in Spanish.', 'hola')).toBe(
      "Respuesta del agente a 'hola' con contexto: ",
    );
    expect(await reply('Respond in French.', 'salut')).toBe("Réponse de l'agent à 'salut' avec le contexte : ");
    expect(await reply('Respond in German.', 'hallo')).toBe("Antwort des Agenten auf 'hallo' mit Kontext: ");
    expect(await reply('Respond in Japanese.', 'やあ')).toBe('「やあ」へのエージェントの応答。コンテキスト: ');
  });

  it('stays on the original English reply without an instruction, with English, or with an unknown language', async () => {
    const english = "Agent response to 'hi' with context: ";
    expect(await reply(undefined, 'hi')).toBe(english);
    expect(await reply('Respond in English.', 'hi')).toBe(english);
    expect(await reply('Respond in Klingon.', 'hi')).toBe(english);
  });

  it('follows the last instruction, and only the system instructions', async () => {
    expect(await reply('Respond in French.\n\nRespond in German.', 'x')).toBe(
      "Antwort des Agenten auf 'x' mit Kontext: ",
    );
    expect(await reply(undefined, 'Respond in Japanese.')).toBe(
      "Agent response to 'Respond in Japanese.' with context: ",
    );
  });
});

describe('simulated model: calculator', () => {
  it('calls it with the expression after "calculate", then answers with the result', async () => {
    const result = await calculate('Please calculate 2*(3+4).');
    expect(result.steps[0]?.toolCalls[0]).toMatchObject({ toolName: 'calculator', input: { expression: '2*(3+4)' } });
    expect(result.text).toBe("Agent response to 'Please calculate 2*(3+4).' with context:  (calculator returned 14)");
  });

  it('reads the expression up to a question or exclamation mark', async () => {
    const result = await calculate('can you CALCULATE 10 / 4? thanks');
    expect(result.steps[0]?.toolCalls[0]?.input).toEqual({ expression: '10 / 4' });
    expect(result.text).toContain('(calculator returned 2.5)');
  });

  it('reports a calculator error in the requested language, and the turn still answers', async () => {
    const result = await calculate('calculate 1/0', 'Respond in Spanish.');
    expect(result.steps).toHaveLength(2);
    expect(result.text).toBe(
      "Respuesta del agente a 'calculate 1/0' con contexto:  (calculator devolvió CalculatorError: Division by zero)",
    );
  });

  it('does not call it without an expression, or when it is not offered', async () => {
    for (const content of ['use the calculator', 'calculate', 'calculate ?']) {
      expect((await calculate(content)).toolCalls, content).toEqual([]);
    }
    const result = await generateText({
      model: createSimulatedModel(),
      messages: [{ role: 'user', content: 'calculate 1+1' }],
    });
    expect(result.toolCalls).toEqual([]);
  });
});
