import { describe, expect, it } from 'vitest';
import { describeRange, parseJavaReleaseMajor, pickJavaHome } from './java-runtime.ts';

describe('parseJavaReleaseMajor', () => {
  it('reads modern and legacy version strings', () => {
    expect(parseJavaReleaseMajor('IMPLEMENTOR="Debian"\nJAVA_VERSION="17.0.15"\n')).toBe(17);
    expect(parseJavaReleaseMajor('JAVA_VERSION="25.0.3"')).toBe(25);
    expect(parseJavaReleaseMajor('JAVA_VERSION="21"')).toBe(21);
    expect(parseJavaReleaseMajor('JAVA_VERSION="1.8.0_402"')).toBe(8);
    expect(parseJavaReleaseMajor('nothing here')).toBeUndefined();
  });
});

describe('pickJavaHome', () => {
  const jdks = [
    { home: '/jvm/25', major: 25 },
    { home: '/jvm/17', major: 17 },
    { home: '/jvm/21', major: 21 },
  ];

  it('takes the oldest JDK in range', () => {
    expect(pickJavaHome(jdks, { min: 17, max: 23 })?.home).toBe('/jvm/17');
    expect(pickJavaHome(jdks, { min: 21 })?.home).toBe('/jvm/21');
  });

  it('prefers JAVA_HOME when it fits, ignores it when it does not', () => {
    expect(pickJavaHome(jdks, { min: 21 }, '/jvm/25')?.home).toBe('/jvm/25');
    expect(pickJavaHome(jdks, { min: 17, max: 23 }, '/jvm/25')?.home).toBe('/jvm/17');
  });

  it('finds nothing when no JDK fits', () => {
    expect(pickJavaHome([{ home: '/jvm/17', major: 17 }], { min: 21 })).toBeUndefined();
    expect(describeRange({ min: 21 })).toBe('21+');
    expect(describeRange({ min: 17, max: 23 })).toBe('17-23');
  });
});
