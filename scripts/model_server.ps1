# PowerShell twin of scripts/model_server.sh (best effort; the bash script is the reference and
# the only one measured). Same layout under .rslm\, same pins, same Python helper.
#
#   scripts\model_server.ps1 start [-Port N] [-Threads N] [-Parallel N] [-Ctx N] [-Lora FILE,...]
#   scripts\model_server.ps1 stop | restart | status | env | bench | install
#   Invoke-Expression (scripts\model_server.ps1 env)   # sets $env:RSLM_BASE_URL, $env:RSLM_MODEL
[CmdletBinding()]
param(
    [Parameter(Position = 0)][ValidateSet('start', 'stop', 'restart', 'status', 'env', 'bench', 'install', 'help')]
    [string]$Command = 'help',
    [int]$Port = 0,
    [int]$Threads = 0,
    [int]$Parallel = 4,
    [int]$Ctx = 2048,
    [string[]]$Lora = @(),
    [int]$Timeout = 180,
    [Parameter(ValueFromRemainingArguments = $true)][string[]]$Rest = @()
)
$ErrorActionPreference = 'Stop'

$XllamacppVersion = if ($env:RSLM_XLLAMACPP_VERSION) { $env:RSLM_XLLAMACPP_VERSION } else { '2026.10.11549' }
$ModelAlias = 'SmolLM2-135M-Instruct-Q4_1'

$ScriptDir = Split-Path -Parent $MyInvocation.MyCommand.Path
$Root = Split-Path -Parent $ScriptDir
$StateDir = if ($env:RSLM_STATE_DIR) { $env:RSLM_STATE_DIR } else { Join-Path $Root '.rslm' }
$Venv = Join-Path $StateDir 'model-venv'
$Models = Join-Path $StateDir 'models'
$Run = Join-Path $StateDir 'run'
$Helper = Join-Path $ScriptDir 'model_server.py'
$PidFile = Join-Path $Run 'model-server.pid'
$StateFile = Join-Path $Run 'model-server.json'
$LogFile = Join-Path $Run 'model-server.log'
$ErrFile = Join-Path $Run 'model-server.err.log'
$PipLog = Join-Path $Run 'pip.log'
$VPy = if ($IsWindows -or $env:OS -eq 'Windows_NT') { Join-Path $Venv 'Scripts\python.exe' } else { Join-Path $Venv 'bin/python' }

function Say([string]$m) { [Console]::Error.WriteLine("model_server: $m") }
function Fail([string]$m) { [Console]::Error.WriteLine("model_server: error: $m"); exit 1 }

function Get-RunningPid {
    if (-not (Test-Path $PidFile)) { return $null }
    $p = (Get-Content $PidFile -Raw).Trim()
    if (-not ($p -match '^\d+$')) { return $null }
    $proc = Get-Process -Id ([int]$p) -ErrorAction SilentlyContinue
    if ($null -eq $proc) { return $null }
    return [int]$p
}

function Get-State { Get-Content $StateFile -Raw | ConvertFrom-Json }

function Write-EnvLines([string]$style) {
    if (-not (Test-Path $StateFile)) { Fail "the server runs but $StateFile is missing: restart it" }
    $s = Get-State
    if ($style -eq 'ps') {
        "`$env:RSLM_BASE_URL = '$($s.base_url)'"
        "`$env:RSLM_MODEL = '$($s.model)'"
    } else {
        "RSLM_BASE_URL=$($s.base_url)"
        "RSLM_MODEL=$($s.model)"
    }
}

function Get-BasePython {
    $cand = if ($env:RSLM_PYTHON) { $env:RSLM_PYTHON } else { 'python' }
    $cmd = Get-Command $cand -ErrorAction SilentlyContinue
    if ($null -eq $cmd) { $cmd = Get-Command 'python3' -ErrorAction SilentlyContinue }
    if ($null -eq $cmd) { Fail 'no Python found; install Python >= 3.10 or set RSLM_PYTHON' }
    & $cmd.Source -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)'
    if ($LASTEXITCODE -ne 0) { Fail "$($cmd.Source) is older than Python 3.10" }
    return $cmd.Source
}

function Install-Venv {
    $ok = $false
    if (Test-Path $VPy) { & $VPy -c 'import sys' 2>$null; $ok = ($LASTEXITCODE -eq 0) }
    if (-not $ok) {
        $py = Get-BasePython
        Say "creating $Venv"
        if (Test-Path $Venv) { Remove-Item -Recurse -Force $Venv }
        & $py -m venv $Venv
        if ($LASTEXITCODE -ne 0) { Fail "'$py -m venv' failed" }
    }
    & $VPy -c "import sys; from importlib.metadata import version; sys.exit(0 if version('xllamacpp') == '$XllamacppVersion' else 1)" 2>$null
    if ($LASTEXITCODE -eq 0) { return }
    Say "installing xllamacpp==$XllamacppVersion into $Venv (about 34 MB)"
    $last = Join-Path $Run 'pip-last.log'
    & $VPy -m pip install --disable-pip-version-check --only-binary=:all: --retries 2 --timeout 30 "xllamacpp==$XllamacppVersion" *> $last
    $rc = $LASTEXITCODE
    Get-Content $last | Add-Content $PipLog
    if ($rc -ne 0) {
        $why = & $VPy $Helper classify-pip $last "xllamacpp==$XllamacppVersion"
        Fail "$why; see $PipLog"
    }
    Remove-Item -Force $last
}

function Stop-Server {
    $p = Get-RunningPid
    if ($null -eq $p) {
        Remove-Item -Force -ErrorAction SilentlyContinue $PidFile, $StateFile
        Say 'not running'
        return
    }
    # No SIGTERM on Windows: the server holds no state worth a graceful exit.
    Stop-Process -Id $p -ErrorAction SilentlyContinue
    for ($i = 0; $i -lt 100; $i++) {
        if ($null -eq (Get-Process -Id $p -ErrorAction SilentlyContinue)) { break }
        Start-Sleep -Milliseconds 100
    }
    if ($null -ne (Get-Process -Id $p -ErrorAction SilentlyContinue)) {
        Stop-Process -Id $p -Force -ErrorAction SilentlyContinue
        Start-Sleep -Milliseconds 500
        if ($null -ne (Get-Process -Id $p -ErrorAction SilentlyContinue)) { Fail "could not stop pid $p" }
    }
    Remove-Item -Force -ErrorAction SilentlyContinue $PidFile, $StateFile
    Say "stopped (pid $p)"
}

function Start-Server {
    New-Item -ItemType Directory -Force -Path $Run, $Models | Out-Null
    if ($Threads -le 0) { $Threads = [Math]::Max(1, [Environment]::ProcessorCount - 1) }
    $loraArgs = @()
    foreach ($f in $Lora) {
        if (-not (Test-Path $f -PathType Leaf)) { Fail "LoRA adapter not found: $f" }
        $abs = (Resolve-Path $f).Path
        $head = New-Object byte[] 4
        $stream = [System.IO.File]::OpenRead($abs)
        try { $n = $stream.Read($head, 0, 4) } finally { $stream.Close() }
        if ($n -ne 4 -or [System.Text.Encoding]::ASCII.GetString($head) -ne 'GGUF') { Fail "LoRA adapter is not a GGUF file: $f" }
        $loraArgs += @('--lora', $abs)
    }
    $p = Get-RunningPid
    if ($null -ne $p) {
        Say "already running (pid $p); use 'restart' to apply other options"
        Write-EnvLines 'plain'
        return
    }
    Remove-Item -Force -ErrorAction SilentlyContinue $PidFile, $StateFile
    $t0 = Get-Date
    Install-Venv
    & $VPy -c 'import xllamacpp' 2>$null
    if ($LASTEXITCODE -ne 0) { Fail 'cannot import xllamacpp from the venv (see: python -c "import xllamacpp")' }
    $model = & $VPy $Helper fetch-model $Models --log $PipLog
    if ($LASTEXITCODE -ne 0) { exit 1 }

    Say "starting the server (threads $Threads, parallel $Parallel, ctx/slot $Ctx)"
    $argv = @($Helper, 'serve', '--model', $model, '--alias', $ModelAlias, '--state', $StateFile,
        '--port', $Port, '--threads', $Threads, '--parallel', $Parallel, '--ctx', $Ctx) + $loraArgs
    $quoted = $argv | ForEach-Object { '"' + ($_ -replace '"', '\"') + '"' }
    $proc = Start-Process -FilePath $VPy -ArgumentList $quoted -PassThru -WindowStyle Hidden `
        -RedirectStandardOutput $LogFile -RedirectStandardError $ErrFile
    Set-Content -Path $PidFile -Value $proc.Id

    $waited = & $VPy $Helper wait --pid $proc.Id --state $StateFile --timeout $Timeout
    if ($LASTEXITCODE -ne 0) {
        Say "last lines of $ErrFile :"
        if (Test-Path $ErrFile) { Get-Content $ErrFile -Tail 25 | ForEach-Object { [Console]::Error.WriteLine("    $_") } }
        Stop-Process -Id $proc.Id -Force -ErrorAction SilentlyContinue
        Remove-Item -Force -ErrorAction SilentlyContinue $PidFile, $StateFile
        Fail "the server did not start (logs: $LogFile, $ErrFile)"
    }
    $secs = [int]((Get-Date) - $t0).TotalSeconds
    Say "ready in $secs s: $((Get-State).url) (pid $($proc.Id))"
    Write-EnvLines 'plain'
}

# Only installs xllamacpp and SmolLM2 (what `rslm server start --kind llamacpp` runs).
function Install-Server {
    New-Item -ItemType Directory -Force -Path $Run, $Models | Out-Null
    Install-Venv
    & $VPy -c 'import xllamacpp' 2>$null
    if ($LASTEXITCODE -ne 0) { Fail 'cannot import xllamacpp from the venv (see: python -c "import xllamacpp")' }
    & $VPy $Helper fetch-model $Models --log $PipLog
    if ($LASTEXITCODE -ne 0) { exit 1 }
}

switch ($Command) {
    'start' { Start-Server }
    'install' { Install-Server }
    'stop' { Stop-Server }
    'restart' { Stop-Server; Start-Server }
    'status' {
        $p = Get-RunningPid
        if ($null -ne $p -and (Test-Path $StateFile)) {
            $s = Get-State
            "running: $($s.base_url) model $($s.model) (pid $p)"
        } else { 'not running'; exit 3 }
    }
    'env' {
        if ($null -eq (Get-RunningPid)) { Fail 'the model server is not running (start it: scripts\model_server.ps1 start)' }
        Write-EnvLines 'ps'
    }
    'bench' {
        $p = Get-RunningPid
        if ($null -eq $p) { Fail 'the model server is not running' }
        $s = Get-State
        & $VPy $Helper bench $s.base_url --model $s.model --server-pid $p @Rest
    }
    default { Get-Content $MyInvocation.MyCommand.Path -TotalCount 7 | Select-Object -Skip 1 }
}
