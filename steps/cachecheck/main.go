// Command cachecheck is the Lambda behind the scan workflow's CacheCheck step
// (handler: workflow.Deps.CacheCheck).
package main

import "github.com/lambdascan/lambdascan/shared/workflow"

func main() { workflow.Start(workflow.StepCacheCheck) }
