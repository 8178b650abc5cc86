// Command bulklist is the Lambda behind the bulk workflow's Enumerate step
// (handler: workflow.Deps.BulkEnumerate).
package main

import "github.com/lambdascan/lambdascan/shared/workflow"

func main() { workflow.Start(workflow.StepBulkList) }
