import { z } from 'zod';

// Credit classification (国市监信发〔2022〕6号, DOMAIN.md section 5): A is the lowest risk, D the highest.
export const CREDIT_GRADES = ['A', 'B', 'C', 'D'] as const;
export const creditGradeSchema = z.enum(CREDIT_GRADES);
export type CreditGrade = z.infer<typeof creditGradeSchema>;

// Warning levels lowest to highest, as the red/orange/yellow/blue levels of DOMAIN.md section 2.
export const RISK_LEVELS = ['blue', 'yellow', 'orange', 'red'] as const;
export const riskLevelSchema = z.enum(RISK_LEVELS);
export type RiskLevel = z.infer<typeof riskLevelSchema>;
export function riskLevelRank(l: RiskLevel): number {
  return RISK_LEVELS.indexOf(l);
}

/** A department as the catalogue names it (e.g. "Emergency Management Bureau"). */
export const departmentSchema = z.string().trim().min(1).max(200);
