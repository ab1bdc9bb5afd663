-- Churn: a logistic regression and an SVM trained on 80% of the customers (hash split) and
-- scored on the other 20%. Run from this directory: ../../build/kiln job.sql

CREATE TABLE customers AS
    SELECT *, hash(customer_id) % 5 = 0 AS is_test FROM 'customers.csv';

-- 1. the models, trained on the training rows only
CREATE TABLE models AS
    SELECT logreg(churned, tenure_months, monthly_fee, support_calls, usage_hours) AS churn_model,
           svm(plan, monthly_fee, usage_hours, kernel := 'rbf') AS plan_model
    FROM customers WHERE NOT is_test;

-- 2. what drives churn: coefficients, odds ratios and p-values (maximum likelihood)
SELECT feature, round(coef(churn_model, i), 4) AS coef, round(odds_ratio(churn_model, i), 3) AS odds_ratio,
       round(p_value(churn_model, i), 4) AS p_value
FROM models, (VALUES (1, 'tenure_months'), (2, 'monthly_fee'), (3, 'support_calls'), (4, 'usage_hours')) f(i, feature)
ORDER BY i;

-- 3. held-out accuracy of both models
SELECT count(*) AS test_rows,
       round(avg(CASE WHEN predict(churn_model, tenure_months, monthly_fee, support_calls, usage_hours) = churned
                      THEN 1.0 ELSE 0.0 END), 3) AS churn_accuracy,
       round(avg(CASE WHEN predict(plan_model, monthly_fee, usage_hours) = plan THEN 1.0 ELSE 0.0 END), 3) AS plan_accuracy
FROM customers, models WHERE is_test;

-- 4. the riskiest test customers, scored
COPY (
    SELECT customer_id, round(predict_proba(churn_model, tenure_months, monthly_fee, support_calls, usage_hours), 3) AS p_churn,
           predict(plan_model, monthly_fee, usage_hours) AS predicted_plan, plan
    FROM customers, models WHERE is_test
    ORDER BY p_churn DESC, customer_id LIMIT 10
) TO 'at_risk.csv';
SELECT * FROM 'at_risk.csv';
